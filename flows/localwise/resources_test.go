package localwise

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestMeAndProfiles(t *testing.T) {
	s, base := start(t, Config{})
	const extra = "8c4b7a36-0e4e-4a57-9a43-2d7c6b1f0001"
	s.AddPersonalToken(extra)
	access, _ := userTokens(t, base)

	for name, tok := range map[string]string{"personal token": DemoPersonalToken, "added personal token": extra, "user token": access} {
		t.Run(name, func(t *testing.T) {
			me := bearer(t, http.MethodGet, base+"/v1/me", tok, nil)
			if me.status != http.StatusOK || me.json["id"] != float64(DemoUserID) || me.json["email"] != DemoUserEmail || me.json["active"] != true {
				t.Fatalf("/v1/me: %d %s", me.status, me.body)
			}
			if d, _ := me.json["details"].(map[string]any); d["firstName"] != "Demo" {
				t.Errorf("details = %v", me.json["details"])
			}

			r := bearer(t, http.MethodGet, base+"/v2/profiles", tok, nil)
			var profiles []map[string]any
			if err := json.Unmarshal(r.body, &profiles); err != nil || r.status != http.StatusOK {
				t.Fatalf("/v2/profiles: %d %s (%v)", r.status, r.body, err)
			}
			if len(profiles) != 2 || profiles[0]["type"] != "PERSONAL" || profiles[1]["type"] != "BUSINESS" {
				t.Fatalf("profiles = %s", r.body)
			}
			for _, p := range profiles {
				if p["userId"] != float64(DemoUserID) {
					t.Errorf("profile userId = %v", p["userId"])
				}
			}

			one := bearer(t, http.MethodGet, base+"/v2/profiles/16000002", tok, nil)
			if one.status != http.StatusOK || one.json["businessName"] != "Demo Widgets Ltd" {
				t.Fatalf("/v2/profiles/16000002: %d %s", one.status, one.body)
			}
			if r := bearer(t, http.MethodGet, base+"/v2/profiles/14575282", tok, nil); r.status != http.StatusNotFound {
				t.Errorf("someone else's profile: %d", r.status)
			}
			if r := bearer(t, http.MethodGet, base+"/v2/profiles/abc", tok, nil); r.status != http.StatusBadRequest {
				t.Errorf("non-numeric profile id: %d", r.status)
			}
		})
	}
}

func TestBearerErrors(t *testing.T) {
	_, base := start(t, Config{})
	cc := clientToken(t, base, testClientID, testClientSecret)
	const bogus = "0badc0de-0000-4000-8000-000000000000"

	for _, path := range []string{"/v1/me", "/v2/profiles", "/v2/profiles/16000001"} {
		t.Run(path, func(t *testing.T) {
			r := bearer(t, http.MethodGet, base+path, bogus, nil)
			wantOAuthError(t, r, http.StatusUnauthorized, "invalid_token")
			if strings.Contains(string(r.body), bogus) {
				t.Errorf("error echoes the token: %s", r.body)
			}
			wantOAuthError(t, bearer(t, http.MethodGet, base+path, "", nil), http.StatusUnauthorized, "unauthorized")

			req := newRequest(t, http.MethodGet, base+path, nil)
			req.SetBasicAuth(DemoClientID, DemoClientSecret)
			wantOAuthError(t, do(t, req), http.StatusUnauthorized, "unauthorized")

			// A client-credentials token is valid but speaks for no user.
			wantOAuthError(t, bearer(t, http.MethodGet, base+path, cc, nil), http.StatusForbidden, "insufficient_scope")
		})
	}
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		req := newRequest(t, http.MethodGet, base+"/v1/me", nil)
		req.Header.Set("Authorization", "bearer "+DemoPersonalToken)
		if r := do(t, req); r.status != http.StatusOK {
			t.Fatalf("got %d", r.status)
		}
	})
	t.Run("POST on /v1/me", func(t *testing.T) {
		r := bearer(t, http.MethodPost, base+"/v1/me", DemoPersonalToken, map[string]string{})
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET" {
			t.Fatalf("got %d Allow=%q", r.status, r.header.Get("Allow"))
		}
	})
}
