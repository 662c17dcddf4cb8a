package cli

import (
	"errors"
	"fmt"

	"github.com/wisewallet/wisewallet/crypto"
)

// The command line's words for JOSE refusals that the layers below report
// as sentinels: what the check found, and what to try. The token itself
// is never quoted (it came from standard input and may carry a payload
// that is nobody else's business).

// joseHint adds to err the fix of the JOSE check it failed, when there is
// one this command line can name; name is the entry whose key was used.
func joseHint(err error, name string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, crypto.ErrJOSETooLarge):
		return fmt.Errorf("%w (the most taken is %d KiB)", err, crypto.MaxJOSEInput>>10)
	case errors.Is(err, crypto.ErrJOSEMalformed):
		return fmt.Errorf("%w; give the token alone on standard input: a JWS has 3 parts and a JWE 5, separated by dots", err)
	case errors.Is(err, crypto.ErrJOSEKeyExpired):
		return fmt.Errorf("%w; make a new key with 'wisewallet jose rotate %s'", err, name)
	case errors.Is(err, crypto.ErrJOSEAlg):
		return fmt.Errorf("%w; Wise signs with ES256/384/512 or PS256/384/512 and encrypts with RSA-OAEP-256 + A256GCM only", err)
	case errors.Is(err, crypto.ErrJOSESignature):
		return fmt.Errorf("%w: the token was changed, or signed with another key", err)
	case errors.Is(err, crypto.ErrJOSEURL):
		return fmt.Errorf("%w; --url must be the path of the call the token was made for", err)
	case errors.Is(err, crypto.ErrJOSEKeyID):
		return fmt.Errorf("%w: it was made for another key ('wisewallet show %s' names the keys it holds)", err, name)
	}
	return err
}
