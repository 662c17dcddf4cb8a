package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The command line's fixes for SCA refusals: the command that sets up
// the missing factor, uploads the unknown key, or makes room for a
// device. The PIN, the codes and the fingerprint are never in them.

// scaHint adds to err the command that fixes it, when there is one;
// credential is the entry the command was given.
func scaHint(err error, credential string) error {
	var none *flows.NoSolvableFactorError
	// A user's refusal keeps flows' text, which cli_words.go adds the
	// set-up commands to.
	if errors.As(err, &none) && none.Kind != flows.KindUser {
		if short, ok := sharedReason(none); ok {
			err = &reworded{msg: strings.Replace(err.Error(), none.Error(), short, 1), err: err}
		}
	}
	var notSetUp *flows.FactorNotSetUpError
	var tooMany *flows.TooManyDevicesError
	var unknownKey *flows.SCAKeyUnknownError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &notSetUp) && notSetUp.Factor == flows.FactorPIN:
		return fmt.Errorf("%w ('wisewallet sca pin set %s%s')", err, notSetUp.Credential, profileFlag(notSetUp.Profile))
	case errors.As(err, &notSetUp) && notSetUp.Factor == flows.FactorDeviceFingerprint:
		return fmt.Errorf("%w ('wisewallet sca device add %s%s')", err, notSetUp.Credential, profileFlag(notSetUp.Profile))
	case errors.As(err, &tooMany):
		return fmt.Errorf("%w ('wisewallet sca device list %s' shows them, 'wisewallet sca device rm %s ID' removes one)", err, tooMany.Credential, tooMany.Credential)
	case errors.Is(err, errNoTerminalToAnswer):
		// flows words the interruption; why it came is this side's.
		return fmt.Errorf("%w: Wise asked for SCA and there is no terminal to answer on; run the command in a terminal", err)
	case errors.As(err, &unknownKey) && unknownKey.Env == wallet.EnvLocal:
		return fmt.Errorf("%w (for localwise: 'wisewallet sca upload %s')", err, unknownKey.Key)
	}
	return err
}

// profileFlag is --profile for a command line that names one.
func profileFlag(profile int64) string {
	if profile == 0 {
		return ""
	}
	return fmt.Sprintf(" --profile %d", profile)
}

// sharedReason words a challenge none of whose factors can be used for one
// and the same reason (all of a personal token's) with the reason once.
func sharedReason(e *flows.NoSolvableFactorError) (string, bool) {
	if len(e.Factors) < 2 {
		return "", false
	}
	var names []string
	seen := map[flows.SCAFactor]bool{}
	for _, f := range e.Factors {
		if f.WhyNot != e.Factors[0].WhyNot {
			return "", false
		}
		if !seen[f.Factor] {
			seen[f.Factor] = true
			names = append(names, string(f.Factor))
		}
	}
	what := "this challenge"
	if e.ActionType != "" {
		what = fmt.Sprintf("this challenge (%s)", e.ActionType)
	}
	msg := fmt.Sprintf("%s cannot be cleared with %q: none of its factors (%s) can be used: %s", what, e.Credential, strings.Join(names, ", "), e.Factors[0].WhyNot)
	if e.Instead != "" {
		msg += "; " + e.Instead
	}
	return msg, true
}

// reworded is err with the command line's words for it; errors.Is and
// errors.As still see err.
type reworded struct {
	msg string
	err error
}

func (e *reworded) Error() string { return e.msg }
func (e *reworded) Unwrap() error { return e.err }
