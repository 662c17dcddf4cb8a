package crypto

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"strings"
	"testing"
	texttemplate "text/template"
)

// newCanary returns a unique secret value and the forms in which it could
// leak: clear text, hex, base64, and fmt's decimal and hex byte lists.
func newCanary(t *testing.T) (string, []string) {
	t.Helper()
	c := "CANARY-" + hex.EncodeToString(RandomBytes(8))
	b := []byte(c)
	forms := []string{
		c,
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
		base64.StdEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		strings.Trim(fmt.Sprint(b), "[]"), // 67 65 78 ...
		strings.Trim(fmt.Sprintf("%#v", b), "[]uint8{}"), // 0x43, 0x41, ...
	}
	return c, forms
}

// assertNoCanary fails when out holds the canary in any form. It never
// prints out itself: a failing test must not put the secret in the log.
func assertNoCanary(t *testing.T, what, out string, forms []string) {
	t.Helper()
	for i, f := range forms {
		if strings.Contains(out, f) {
			t.Errorf("%s leaks the secret (form %d); output is %d bytes", what, i, len(out))
		}
	}
	if !strings.Contains(out, redacted) && !strings.Contains(out, "0x") && !strings.Contains(out, "&") {
		// Every path below shows either the redaction marker or, for a
		// Secret behind a pointer or in an unexported field, an address.
		t.Errorf("%s shows neither %q nor an address: %d bytes", what, redacted, len(out))
	}
}

type withSecret struct {
	Name  string
	Token Secret
}

type withUnexported struct {
	name  string
	token Secret
	ptr   *Secret
	list  []Secret
	byKey map[string]Secret
}

type withPointer struct {
	Token *Secret
}

type jsonDoc struct {
	Name  string            `json:"name"`
	Token Secret            `json:"token"`
	Ptr   *Secret           `json:"ptr"`
	List  []Secret          `json:"list"`
	Map   map[string]Secret `json:"map"`
	Empty Secret            `json:"empty,omitempty"`
}

type xmlDoc struct {
	XMLName xml.Name `xml:"doc"`
	Attr    Secret   `xml:"attr,attr"`
	Token   Secret   `xml:"token"`
	Ptr     *Secret  `xml:"ptr"`
}

type secretError struct{ tok Secret }

func (e secretError) Error() string { return fmt.Sprintf("token %v rejected", e.tok) }

func TestSecretRedactedByEveryFmtVerb(t *testing.T) {
	c, forms := newCanary(t)
	s := SecretString(c)
	u := withUnexported{name: "x", token: s, ptr: &s, list: []Secret{s}, byKey: map[string]Secret{"k": s}}
	values := map[string]any{
		"Secret":              s,
		"*Secret":             &s,
		"struct":              withSecret{Name: "n", Token: s},
		"*struct":             &withSecret{Name: "n", Token: s},
		"struct with pointer": withPointer{Token: &s},
		"unexported fields":   u,
		"*unexported fields":  &u,
		"slice":               []Secret{s, s},
		"array":               [2]Secret{s, s},
		"map value":           map[string]Secret{"k": s},
		"[]any":               []any{s, &s},
		"nested":              map[string][]withSecret{"k": {{Token: s}}},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-12v", "%08x", "% x", "%T"}
	for name, v := range values {
		for _, verb := range verbs {
			assertNoCanaryLoose(t, fmt.Sprintf("%s with %s", name, verb), fmt.Sprintf(verb, v), forms)
		}
		assertNoCanaryLoose(t, name+" with Sprint", fmt.Sprint(v), forms)
		assertNoCanaryLoose(t, name+" with Sprintln", fmt.Sprintln(v), forms)
	}
	// The direct forms must say "[redacted]", not just avoid the value.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		if got := fmt.Sprintf(verb, s); got != redacted {
			t.Errorf("Sprintf(%q, secret) = %q, want %q", verb, got, redacted)
		}
	}
	if s.String() != redacted || s.GoString() != redacted {
		t.Error("String or GoString is not redacted")
	}
}

// assertNoCanaryLoose checks only for the canary, for outputs such as %T
// that legitimately show neither the marker nor an address.
func assertNoCanaryLoose(t *testing.T, what, out string, forms []string) {
	t.Helper()
	for i, f := range forms {
		if strings.Contains(out, f) {
			t.Errorf("%s leaks the secret (form %d); output is %d bytes", what, i, len(out))
		}
	}
}

func TestSecretRedactedInErrors(t *testing.T) {
	c, forms := newCanary(t)
	s := SecretString(c)
	errs := map[string]error{
		"Errorf %v":          fmt.Errorf("login failed: %v", s),
		"Errorf %s":          fmt.Errorf("login failed: %s", s),
		"Errorf %x":          fmt.Errorf("login failed: %x", s),
		"Errorf %+v struct":  fmt.Errorf("entry %+v", withSecret{Token: s}),
		"wrapped":            fmt.Errorf("outer: %w", fmt.Errorf("inner: %v", s)),
		"joined":             errors.Join(errors.New("a"), fmt.Errorf("b %v", &s)),
		"error type":         secretError{tok: s},
		"wrapped error type": fmt.Errorf("call: %w", secretError{tok: s}),
		"error with %#v":     fmt.Errorf("%#v", secretError{tok: s}),
		"error with %+v":     fmt.Errorf("%+v", &secretError{tok: s}),
		"errors.New(Sprint)": errors.New(fmt.Sprint("token=", s)),
	}
	for name, err := range errs {
		assertNoCanary(t, name, err.Error(), forms)
		assertNoCanaryLoose(t, name+" printed with %+v", fmt.Sprintf("%+v", err), forms)
	}
}

func TestSecretRedactedInSlog(t *testing.T) {
	c, forms := newCanary(t)
	s := SecretString(c)
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("value", "token", s)
		log.Info("pointer", "token", &s)
		log.Info("attr", slog.Any("token", s), slog.String("str", s.String()))
		log.Info("struct", "entry", withSecret{Name: "n", Token: s})
		log.Info("unexported", "entry", withUnexported{token: s})
		log.Info("slice and map", "list", []Secret{s}, "map", map[string]Secret{"k": s})
		log.Info("group", slog.Group("g", "token", s))
		log.With("token", s).Info("with")
		log.WithGroup("g").Info("with group", "token", s)
		log.Error("error", "err", fmt.Errorf("failed: %v", s))
		out := buf.String()
		assertNoCanary(t, h.name+" handler", out, forms)
		if n := strings.Count(out, redacted); n < 8 {
			t.Errorf("%s handler: %q appears %d times, want at least 8", h.name, redacted, n)
		}
	}
}

func TestSecretRedactedInJSON(t *testing.T) {
	c, forms := newCanary(t)
	s := SecretString(c)
	docs := map[string]any{
		"Secret":   s,
		"*Secret":  &s,
		"struct":   jsonDoc{Name: "n", Token: s, Ptr: &s, List: []Secret{s}, Map: map[string]Secret{"k": s}, Empty: s},
		"*struct":  &jsonDoc{Token: s},
		"exported": withSecret{Token: s},
		"map":      map[string]any{"k": s},
	}
	for name, v := range docs {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		assertNoCanary(t, "json.Marshal "+name, string(b), forms)
		b, err = json.MarshalIndent(v, "", " ")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		assertNoCanary(t, "json.MarshalIndent "+name, string(b), forms)
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(jsonDoc{Token: s}); err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, "json.Encoder", buf.String(), forms)
	if b, _ := json.Marshal(s); string(b) != `"`+redacted+`"` {
		t.Errorf("json.Marshal(secret) = %s", b)
	}
}

func TestSecretRedactedInTextEncoders(t *testing.T) {
	c, forms := newCanary(t)
	s := SecretString(c)
	b, err := xml.Marshal(xmlDoc{Attr: s, Token: s, Ptr: &s})
	if err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, "xml.Marshal", string(b), forms)
	if txt, _ := s.MarshalText(); string(txt) != redacted {
		t.Errorf("MarshalText = %q", txt)
	}

	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(withSecret{Token: s}); err == nil {
		assertNoCanaryLoose(t, "gob", g.String(), forms)
	}

	var tb bytes.Buffer
	tt := texttemplate.Must(texttemplate.New("t").Parse("{{.Token}} {{.}} {{printf \"%x\" .Token}}"))
	if err := tt.Execute(&tb, withSecret{Token: s}); err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, "text/template", tb.String(), forms)
	var hb bytes.Buffer
	ht := htmltemplate.Must(htmltemplate.New("h").Parse(`<p title="{{.Token}}">{{.Token}}</p><script>var x = {{.Token}};</script>`))
	if err := ht.Execute(&hb, withSecret{Token: s}); err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, "html/template", hb.String(), forms)
}

func TestSecretRevealReturnsACopy(t *testing.T) {
	c, _ := newCanary(t)
	s := SecretString(c)
	r := s.Reveal()
	if string(r) != c {
		t.Fatal("Reveal does not return the secret")
	}
	for i := range r {
		r[i] = 'X'
	}
	if got := s.Reveal(); string(got) != c {
		t.Fatal("changing Reveal's result changed the Secret")
	}
	if s.RevealString() != c {
		t.Fatal("RevealString does not return the secret")
	}
	Wipe(r)
}

func TestNewSecretCopiesItsInput(t *testing.T) {
	c, _ := newCanary(t)
	in := []byte(c)
	s := NewSecret(in)
	Wipe(in)
	if s.RevealString() != c {
		t.Fatal("clearing NewSecret's input changed the Secret")
	}
	copied := s // copies share storage; it must stay immutable
	if !copied.Equal(s) || copied.RevealString() != c {
		t.Fatal("a copied Secret differs")
	}
}

func TestSecretBasics(t *testing.T) {
	var zero Secret
	if !zero.IsZero() || zero.Len() != 0 || len(zero.Reveal()) != 0 || zero.RevealString() != "" {
		t.Fatal("zero Secret is not empty")
	}
	if !NewSecret(nil).IsZero() || !NewSecret([]byte{}).IsZero() || !SecretString("").IsZero() {
		t.Fatal("an empty input does not give a zero Secret")
	}
	if fmt.Sprint(zero) != redacted {
		t.Fatal("zero Secret is not redacted")
	}
	a, b := SecretString("abc"), SecretString("abc")
	if !a.Equal(b) || a.Equal(SecretString("abd")) || a.Equal(SecretString("ab")) || a.Equal(zero) || !zero.Equal(Secret{}) {
		t.Fatal("Equal is wrong")
	}
	if a.Len() != 3 || a.IsZero() {
		t.Fatal("Len or IsZero is wrong")
	}
}
