package cli

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

// show --json gives a hidden secret as null with its length beside it,
// not a masked string a script could take for the value.
func TestShowJSONGivesNullAndLengthForHiddenSecrets(t *testing.T) {
	vars := jsonWallet(t)
	sio, stdout, stderr := inProcess(maps.Clone(vars), "")
	if code := run(context.Background(), []string{"show", "t1", "--json"}, sio); code != exitOK {
		t.Fatalf("show --json: exit %d %s", code, stderr)
	}
	var got struct {
		Secrets map[string]*string `json:"secrets"`
		Lengths map[string]int     `json:"secret_lengths"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("show --json: %v\n%s", err, stdout)
	}
	if len(got.Secrets) == 0 || strings.Contains(stdout.String(), "•") {
		t.Fatalf("show --json: a masked string or no secrets:\n%s", stdout)
	}
	for name, v := range got.Secrets {
		if v != nil || got.Lengths[name] <= 0 {
			t.Errorf("show --json: secret %q is %v with length %d, want null and its length:\n%s", name, v, got.Lengths[name], stdout)
		}
	}
	sio, stdout, _ = inProcess(maps.Clone(vars), "")
	if code := run(context.Background(), []string{"show", "t1", "--json", "--reveal"}, sio); code != exitOK {
		t.Fatal("show --json --reveal failed")
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for name, v := range got.Secrets {
		if v == nil || len(*v) != got.Lengths[name] {
			t.Errorf("show --json --reveal: secret %q is %v, length %d", name, v, got.Lengths[name])
		}
	}
}
