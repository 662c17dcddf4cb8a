package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wisewallet/wisewallet/crypto"
)

// bodySchema is the version of the decrypted body that saves write (see
// codec.go); schema 1 (JSON) and schema 2 (codec_schema2.go) are still
// read, and rewritten as schema 3 by the next save. It can change without
// a new file format version: the body is opaque to the envelope.
const bodySchema = 3

// Contents is the decrypted wallet: its entries, kept sorted by name.
type Contents struct {
	entries []Entry
	// edits counts changes since the wallet last read or saved these
	// contents; while it is zero they still match the file (see
	// Wallet.reload).
	edits int
}

// Entries returns the entries sorted by name. The slice is a copy; the
// entries share their Secrets maps with the wallet, so callers must not
// modify those maps in place (SetSecret copies the map; then Put the
// changed entry).
func (c *Contents) Entries() []Entry { return slices.Clone(c.entries) }

// Len is the number of entries.
func (c *Contents) Len() int { return len(c.entries) }

func (c *Contents) find(name string) (int, bool) {
	return slices.BinarySearchFunc(c.entries, name, func(e Entry, n string) int { return strings.Compare(e.Name, n) })
}

// Get returns the entry called name.
func (c *Contents) Get(name string) (Entry, error) {
	i, ok := c.find(name)
	if !ok {
		return Entry{}, fmt.Errorf("%w: %q", ErrEntryNotFound, name)
	}
	return c.entries[i], nil
}

// Add inserts a new entry; it fails if the name is taken.
func (c *Contents) Add(e Entry) error {
	if err := c.check(e); err != nil {
		return err
	}
	i, ok := c.find(e.Name)
	if ok {
		return fmt.Errorf("%w: %q (choose another name or remove it first)", ErrEntryExists, e.Name)
	}
	c.edits++
	c.entries = slices.Insert(c.entries, i, e)
	return nil
}

// Put replaces the entry with the same name, or adds it.
func (c *Contents) Put(e Entry) error {
	if err := c.check(e); err != nil {
		return err
	}
	c.edits++
	i, ok := c.find(e.Name)
	if ok {
		c.entries[i] = e
		return nil
	}
	c.entries = slices.Insert(c.entries, i, e)
	return nil
}

// Remove deletes the entry called name.
func (c *Contents) Remove(name string) error {
	i, ok := c.find(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrEntryNotFound, name)
	}
	c.edits++
	c.entries = slices.Delete(c.entries, i, i+1)
	return nil
}

// Rename changes an entry's name and updates links that pointed to it.
func (c *Contents) Rename(from, to string) error {
	if err := ValidateName(to); err != nil {
		return err
	}
	e, err := c.Get(from)
	if err != nil {
		return err
	}
	if _, ok := c.find(to); ok {
		return fmt.Errorf("%w: %q", ErrEntryExists, to)
	}
	_ = c.Remove(from)
	e.Name = to
	if err := c.Add(e); err != nil {
		return err
	}
	for i := range c.entries {
		if c.entries[i].LinkedTo == from {
			c.entries[i].LinkedTo = to
		}
	}
	return nil
}

func (c *Contents) check(e Entry) error {
	if err := ValidateName(e.Name); err != nil {
		return err
	}
	if !ValidKind(e.Kind) {
		return fmt.Errorf("wallet: unknown entry kind %q", e.Kind)
	}
	return e.checkSCAPINSet()
}

// record is an entry as stored in a schema 1 (JSON) body. Secret values
// are revealed here and only here, on their way out of the sealed body.
type record struct {
	Entry
	Secrets map[string][]byte `json:"secrets,omitempty"`
}

// jsonBody is the schema 1 body, `{"schema":1,"entries":[...]}`, which
// wallets written before schema 2 hold until their next save. Entry's
// groups are embedded without JSON names, so their fields sit at the top
// of each record as they always did.
type jsonBody struct {
	Schema  int      `json:"schema"`
	Entries []record `json:"entries"`
}

const jsonBodySchema = 1

// marshal encodes the contents for sealing. The caller wipes the result.
func (c *Contents) marshal() ([]byte, error) { return encodeBody(c.entries) }

// unmarshalContents decodes a body of any schema; a schema 1 body starts
// with '{', later ones with bodyMagic and the schema byte.
func unmarshalContents(plaintext []byte) (*Contents, error) {
	rest, ok := bytes.CutPrefix(plaintext, []byte(bodyMagic))
	if !ok {
		return unmarshalJSONBody(plaintext)
	}
	switch {
	case len(rest) == 0:
		return nil, damaged("decrypted contents are not valid: no schema")
	case rest[0] < 2:
		// Schema 1 is JSON, without this magic: no writer made these.
		return nil, damaged("decrypted contents are not valid: binary body of schema %d", rest[0])
	case rest[0] > bodySchema:
		return nil, newerVersion("contents schema %d", rest[0])
	}
	entries, err := decodeBody(rest[1:], rest[0])
	if errors.Is(err, ErrUnsupportedVersion) {
		return nil, err
	} else if err != nil {
		// The body authenticated, so this is a bug, but to the user it is
		// equally unreadable.
		return nil, damaged("decrypted contents are not valid: %v", err)
	}
	return &Contents{entries: entries}, nil
}

func unmarshalJSONBody(plaintext []byte) (*Contents, error) {
	var b jsonBody
	if err := json.Unmarshal(plaintext, &b); err != nil {
		return nil, damaged("decrypted contents are not valid: %v", err)
	}
	if b.Schema != jsonBodySchema {
		return nil, newerVersion("contents schema %d", b.Schema)
	}
	entries := make([]Entry, 0, len(b.Entries))
	for _, r := range b.Entries {
		e := r.Entry
		// No schema 1 writer knew sca_pin_set; should a body hold one
		// anyway, keep it in the order the binary schema requires, so the
		// next save does not fail on it.
		if len(e.SCAPINSet) > 0 {
			slices.Sort(e.SCAPINSet)
			e.SCAPINSet = slices.Compact(e.SCAPINSet)
		}
		if len(r.Secrets) > 0 {
			e.Secrets = make(map[string]crypto.Secret, len(r.Secrets))
			for k, v := range r.Secrets {
				e.Secrets[k] = crypto.NewSecret(v)
				crypto.Wipe(v)
			}
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return &Contents{entries: entries}, nil
}
