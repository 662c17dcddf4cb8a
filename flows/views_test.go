package flows

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/wallet"
)

// eachReference calls f on every pointer and slice field of the struct
// v, in embedded groups too: a field added later is checked as well.
func eachReference(v reflect.Value, f func(reflect.Value)) {
	for i := range v.NumField() {
		field := v.Field(i)
		switch {
		case !v.Type().Field(i).IsExported():
		case field.Kind() == reflect.Struct:
			eachReference(field, f)
		case field.Kind() == reflect.Pointer, field.Kind() == reflect.Slice:
			f(field)
		}
	}
}

func TestAViewSharesNothingWithTheWallet(t *testing.T) {
	e := wallet.Entry{Name: "jo", Kind: wallet.KindUser}
	// Every date and list the entry can hold is set.
	eachReference(reflect.ValueOf(&e).Elem(), func(field reflect.Value) {
		switch {
		case field.Type() == reflect.TypeFor[*time.Time]():
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			field.Set(reflect.ValueOf(&at))
		case field.Kind() == reflect.Slice:
			field.Set(reflect.MakeSlice(field.Type(), 1, 1))
		}
	})
	e.Profiles[0] = Profile{ID: 1, Type: "personal"} // not zero, so a scribble shows
	if e.NotAfter == nil {
		t.Fatalf("the fixture did not fill the entry: %+v", e)
	}
	before, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	v := viewOf(e)
	// A front end scribbles over everything the view points at.
	eachReference(reflect.ValueOf(&v).Elem(), func(field reflect.Value) {
		switch {
		case field.Kind() == reflect.Pointer && !field.IsNil():
			field.Elem().Set(reflect.Zero(field.Elem().Type()))
		case field.Kind() == reflect.Slice:
			for i := range field.Len() {
				field.Index(i).Set(reflect.Zero(field.Index(i).Type()))
			}
		}
	})
	after, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("changing a view changed the entry:\nbefore %s\nafter  %s", before, after)
	}
}
