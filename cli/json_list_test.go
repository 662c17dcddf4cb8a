package cli

import (
	"context"
	"encoding/json"
	"maps"
	"testing"
)

// jsonWallet is a wallet with one personal token (t1, 36 characters) and
// the environment to run commands on it in the test process.
func jsonWallet(t *testing.T) map[string]string {
	t.Helper()
	dir, _ := cheapWallet(t, "p")
	vars := map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "p"}
	sio, _, stderr := inProcess(maps.Clone(vars), "01234567-89ab-cdef-0123-456789abcdef\n")
	if code := run(context.Background(), []string{"add", "personal", "t1", "--env", "sandbox", "--no-check"}, sio); code != exitOK {
		t.Fatalf("add: exit %d %s", code, stderr)
	}
	return vars
}

// Every row of list --json has the same keys: status ("ok" when nothing
// is wrong) and linked_to (null when the entry is linked to nothing).
func TestListJSONAlwaysHasStatusAndLinkedTo(t *testing.T) {
	vars := jsonWallet(t)
	sio, stdout, stderr := inProcess(maps.Clone(vars), "")
	if code := run(context.Background(), []string{"list", "--json"}, sio); code != exitOK {
		t.Fatalf("list --json: exit %d %s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("list --json: %v\n%s", err, stdout)
	}
	status, hasStatus := rows[0]["status"]
	linked, hasLinked := rows[0]["linked_to"]
	if !hasStatus || status != "ok" || !hasLinked || linked != nil {
		t.Errorf("list --json row: status %v (%v), linked_to %v (%v), want \"ok\" and null:\n%s", status, hasStatus, linked, hasLinked, stdout)
	}
}
