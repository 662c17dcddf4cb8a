package cli

import (
	"errors"
	"fmt"

	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The command line's fixes for SCA refusals: the command that sets up
// the missing factor, uploads the unknown key, or makes room for a
// device. The PIN, the codes and the fingerprint are never in them.

// scaHint adds to err the command that fixes it, when there is one;
// credential is the entry the command was given.
func scaHint(err error, credential string) error {
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
