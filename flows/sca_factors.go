package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// The factors a user enrols: the PIN (never stored: the wallet records
// only that one was set, per profile), this install's device fingerprint
// (a secret of the entry), and manual SCA sessions.

// ErrNoSuchDevice: Wise has no device fingerprint of that id.
var ErrNoSuchDevice = errors.New("is not a device registered for this profile")

// scaUser is the user entry of a factor use case, its profile checked,
// and the credential ready to call.
func (s *Service) scaUser(ctx context.Context, credential string, profile int64) (scaCred, error) {
	e, err := s.scaEntry(credential, true)
	if err != nil {
		return scaCred{}, err
	}
	if err := checkProfile(e, profile); err != nil {
		return scaCred{}, err
	}
	return s.scaCredential(ctx, e, profile, "")
}

// updateSCA changes the credential's entry under the wallet lock.
func (s *Service) updateSCA(ctx context.Context, name string, change func(e *wallet.Entry)) error {
	return s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(name)
		if err != nil {
			return err
		}
		change(&cur)
		cur.UpdatedAt = s.now()
		return c.Put(cur)
	})
}

// enrol makes a PIN or device create call, clearing a challenge and
// sending it once more with the cleared token when Wise asks for one.
func (s *Service) enrol(ctx context.Context, c scaCred, f SCAFactor, paths factorPaths, body, secret crypto.Secret, solver SCASolver) (wise.FactorAnswer, bool, error) {
	a, v1, err := s.factorCallAt(ctx, c, f, paths, "", "", body, secret)
	var ch *wise.ChallengeError
	if !errors.As(err, &ch) {
		return a, v1, err
	}
	if _, err := s.approve(ctx, c, ch.OTT, solver); err != nil {
		return a, v1, err
	}
	if err := ctx.Err(); err != nil {
		return a, v1, interrupted(c, ch.OTT, err)
	}
	if v1 {
		paths.v2 = paths.v1
	}
	a, v1, err = s.factorCallAt(ctx, c, f, paths, "", ch.OTT, body, secret)
	if errors.As(err, &ch) {
		return a, v1, fmt.Errorf("%w (one-time token %s): %w", ErrChallengeAgain, ch.OTT, err)
	}
	return a, v1, err
}

// PINSet creates the profile's PIN (4 digits), clearing a challenge
// through solver when Wise asks for one.
func (s *Service) PINSet(ctx context.Context, credential string, profile int64, pin crypto.Secret, solver SCASolver) error {
	if err := crypto.CheckPIN(pin); err != nil {
		return &InputError{Input: InputPIN, Reason: err}
	}
	c, err := s.scaUser(ctx, credential, profile)
	if err != nil {
		return err
	}
	_, v1, err := s.enrol(ctx, c, FactorPIN, factorPaths{v2: wise.PINPath(c.profile), v1: wise.PINPath(0)}, secretJSON("pin", pin), pin, solver)
	var ae *APIError
	if errors.As(err, &ae) && (ae.Code == wise.CodePINExists || ae.Status == http.StatusConflict) {
		// Wise has one: the wallet says so from now on.
		_ = s.updateSCA(ctx, credential, func(e *wallet.Entry) { e.SetSCAPIN(c.profile, true) })
		return &FactorExistsError{Credential: credential, Profile: c.profile, Factor: FactorPIN, Cause: err}
	}
	if err != nil {
		return err
	}
	at := c.profile
	if v1 {
		at = 0 // v1's PIN is the user's, for every profile
	}
	return s.updateSCA(ctx, credential, func(e *wallet.Entry) { e.SetSCAPIN(at, true) })
}

// PINChange replaces the profile's PIN: the old one is deleted (a
// challenge the solver clears, the old PIN among its factors), then pin
// is set. Wise has no change call; a failure between the two leaves the
// profile without a PIN, which the error says.
func (s *Service) PINChange(ctx context.Context, credential string, profile int64, pin crypto.Secret, solver SCASolver) error {
	if err := crypto.CheckPIN(pin); err != nil {
		return &InputError{Input: InputPIN, Reason: err}
	}
	err := s.PINDelete(ctx, credential, profile, solver)
	var nf *FactorNotSetUpError
	if err != nil && !errors.As(err, &nf) {
		return err
	}
	if err := s.PINSet(ctx, credential, profile, pin, solver); err != nil {
		return fmt.Errorf("the old PIN was deleted but the new one was not set, so the profile has no PIN now; set it again: %w", err)
	}
	return nil
}

// PINDelete removes the profile's PIN, clearing a challenge through
// solver when Wise asks for one (it does: deleting a factor needs SCA).
func (s *Service) PINDelete(ctx context.Context, credential string, profile int64, solver SCASolver) error {
	c, err := s.scaUser(ctx, credential, profile)
	if err != nil {
		return err
	}
	if c.profile == 0 {
		return &InputError{Input: InputProfile, Entry: credential, Reason: ErrMissing}
	}
	_, err = s.call(ctx, c, CallInput{Entry: credential, Method: http.MethodDelete, Path: wise.PINPath(c.profile)}, solver)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == wise.CodePINNotSetUp {
		_ = s.updateSCA(ctx, credential, func(e *wallet.Entry) { e.SetSCAPIN(c.profile, false) })
		return &FactorNotSetUpError{Credential: credential, Profile: c.profile, Factor: FactorPIN, Cause: err}
	}
	if err != nil {
		return err
	}
	return s.updateSCA(ctx, credential, func(e *wallet.Entry) { e.SetSCAPIN(c.profile, false) })
}

// DeviceAdd registers this install's device fingerprint for the profile
// (made and kept in the credential entry on first use).
func (s *Service) DeviceAdd(ctx context.Context, credential string, profile int64, solver SCASolver) (DeviceView, error) {
	c, err := s.scaUser(ctx, credential, profile)
	if err != nil {
		return DeviceView{}, err
	}
	if c.e.DeviceFingerprintID != "" && !c.e.Secret(wallet.SecretDeviceFingerprint).IsZero() {
		return DeviceView{}, &FactorExistsError{Credential: credential, Profile: c.profile, Factor: FactorDeviceFingerprint}
	}
	fp := c.e.Secret(wallet.SecretDeviceFingerprint)
	if fp.IsZero() {
		// Stored before it is sent: an answer lost on the way must not
		// lose a fingerprint Wise registered.
		fp = crypto.NewDeviceFingerprint()
		if err := s.updateSCA(ctx, credential, func(e *wallet.Entry) { e.SetSecret(wallet.SecretDeviceFingerprint, fp) }); err != nil {
			return DeviceView{}, err
		}
	}
	a, _, err := s.enrol(ctx, c, FactorDeviceFingerprint, factorPaths{v2: wise.DevicesPath(c.profile), v1: wise.DevicesPath(0)},
		secretJSON("deviceFingerprint", fp), fp, solver)
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Code == wise.CodeDeviceLimit:
		return DeviceView{}, &TooManyDevicesError{Credential: credential, Profile: c.profile, Cause: err}
	case errors.As(err, &ae) && (ae.Code == wise.CodeDeviceExists || ae.Status == http.StatusConflict):
		return DeviceView{}, &FactorExistsError{Credential: credential, Profile: c.profile, Factor: FactorDeviceFingerprint, Cause: err}
	case err != nil:
		return DeviceView{}, err
	}
	d, err := wise.ParseDevice(a.Body)
	if err != nil {
		return DeviceView{}, fmt.Errorf("the device was registered but Wise's answer cannot be read: %w", err)
	}
	now := s.now()
	at := now
	if d.CreatedAt != nil {
		at = *d.CreatedAt
	}
	err = s.updateSCA(ctx, credential, func(e *wallet.Entry) {
		e.DeviceFingerprintID, e.DeviceRegisteredAt = d.ID, &at
	})
	return DeviceView{ID: d.ID, Profile: c.profile, CreatedAt: d.CreatedAt, ThisDevice: true}, err
}

// DeviceList lists the device fingerprints registered for the profile.
func (s *Service) DeviceList(ctx context.Context, credential string, profile int64) ([]DeviceView, error) {
	c, err := s.scaUser(ctx, credential, profile)
	if err != nil {
		return nil, err
	}
	if c.profile == 0 {
		return nil, &InputError{Input: InputProfile, Entry: credential, Reason: ErrMissing}
	}
	list, err := c.api.Devices(ctx, c.token, c.profile)
	if err != nil {
		return nil, s.scaError(c, "", FactorDeviceFingerprint, err)
	}
	out := []DeviceView{}
	for _, d := range list {
		out = append(out, DeviceView{ID: d.ID, Profile: c.profile, CreatedAt: d.CreatedAt, ThisDevice: d.ID == c.e.DeviceFingerprintID})
	}
	return out, nil
}

// checkDeviceID refuses what cannot be an id in a path.
func checkDeviceID(id string) error {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "/?#% \t\r\n") || wise.CleanText(id, 64) != id {
		return &InputError{Input: InputDeviceID, Value: wise.CleanText(id, 64), Reason: ErrNoSuchDevice}
	}
	return nil
}

// DeviceRemove removes a registered device fingerprint by its id; when it
// is this install's, the fingerprint is wiped from the entry too.
func (s *Service) DeviceRemove(ctx context.Context, credential string, profile int64, id string, solver SCASolver) error {
	if err := checkDeviceID(id); err != nil {
		return err
	}
	c, err := s.scaUser(ctx, credential, profile)
	if err != nil {
		return err
	}
	if c.profile == 0 {
		return &InputError{Input: InputProfile, Entry: credential, Reason: ErrMissing}
	}
	_, err = s.call(ctx, c, CallInput{Entry: credential, Method: http.MethodDelete, Path: wise.DevicesPath(c.profile) + "/" + id}, solver)
	var ae *APIError
	gone := err == nil || errors.As(err, &ae) && ae.Code == wise.CodeDeviceNotFound
	if gone && id == c.e.DeviceFingerprintID {
		// Wise no longer takes it: the secret is of no use, and a wiped
		// one cannot leak.
		if uerr := s.updateSCA(ctx, credential, func(e *wallet.Entry) {
			e.SetSecret(wallet.SecretDeviceFingerprint, crypto.Secret{})
			e.DeviceFingerprintID, e.DeviceRegisteredAt = "", nil
		}); uerr != nil && err == nil {
			err = uerr
		}
	}
	if errors.As(err, &ae) && ae.Code == wise.CodeDeviceNotFound {
		return &InputError{Input: InputDeviceID, Value: id, Entry: credential, Reason: ErrNoSuchDevice}
	}
	return err
}

// SCASession authorises a manual SCA session for profile (POST
// /v2/profiles/{id}/sca-sessions/authorise): one approval that covers
// Wise's low-risk window.
func (s *Service) SCASession(ctx context.Context, credential string, profile int64, solver SCASolver) (SCASessionView, error) {
	c, err := s.scaUser(ctx, credential, profile)
	if err != nil {
		return SCASessionView{}, err
	}
	if c.profile == 0 {
		return SCASessionView{}, &InputError{Input: InputProfile, Entry: credential, Reason: ErrMissing}
	}
	out := SCASessionView{Credential: credential, Profile: c.profile}
	o, err := c.api.AuthoriseSCASession(ctx, c.token, c.profile)
	if err != nil {
		err = s.scaError(c, "", "", err)
		if be := (*SCABlockedError)(nil); errors.As(err, &be) {
			solver.Progress(ctx, SCAEvent{Kind: EventBlocked, Until: be.Until})
		}
		return out, err
	}
	if o.Ready() {
		// The window is open already.
		out.Status = s.statusView(c, o, false, nil)
	} else if out.Status, err = s.approve(ctx, c, o.Token, solver); err != nil {
		return out, err
	}
	out.Until = s.now().Add(SCASessionWindow)
	if c.e.SCASessionUntil != nil && o.Ready() && c.e.SCASessionUntil.After(s.now()) {
		out.Until = *c.e.SCASessionUntil
	}
	until := out.Until
	solver.Progress(ctx, SCAEvent{Kind: EventSessionActive, Until: until, AttemptsLeft: -1})
	return out, s.updateSCA(ctx, credential, func(e *wallet.Entry) { e.SCASessionUntil = &until })
}

// The factors SCAFactors lists, in the order offered.
var scaFactorOrder = []SCAFactor{FactorPIN, FactorDeviceFingerprint, FactorSMS, FactorWhatsApp, FactorVoice, FactorFaceMap, FactorLegacySignature}

// SCAFactors says which factors the credential can use and why not the
// others. It reads memory only.
func (s *Service) SCAFactors(credential string) SCAFactorsView {
	v := SCAFactorsView{Credential: credential, Factors: []SCAFactorOption{}}
	e, err := s.w.Get(credential)
	if err != nil {
		v.Note = err.Error()
		return v
	}
	v.Kind = e.Kind
	switch e.Kind {
	case wallet.KindUser:
		profile := scaProfile(e, 0, "")
		v.PINProfiles = append([]int64(nil), e.SCAPINSet...)
		v.DeviceID, v.DeviceRegisteredAt = e.DeviceFingerprintID, cloneTime(e.DeviceRegisteredAt)
		v.SessionUntil = cloneTime(e.SCASessionUntil)
		for _, f := range scaFactorOrder {
			if f == FactorLegacySignature {
				v.Factors = append(v.Factors, SCAFactorOption{Factor: f, WhyNot: "the legacy signature is for personal tokens only"})
				continue
			}
			v.Factors = append(v.Factors, s.judge(e, f, profile))
		}
	case wallet.KindPersonal:
		v.Note = insteadPersonal
		for _, f := range scaFactorOrder {
			if f != FactorLegacySignature {
				v.Factors = append(v.Factors, SCAFactorOption{Factor: f, WhyNot: whyPersonal})
				continue
			}
			o := SCAFactorOption{Factor: f}
			if key, ok := s.scaKeyFor(e.Name); ok {
				v.SCAKey = key.Name
				o.Solvable, o.SetUp = true, key.Uploaded
			} else {
				o.WhyNot = "no SCA key signs for this token (legacy: Wise has withdrawn it)"
			}
			v.Factors = append(v.Factors, o)
		}
	default:
		v.Note = fmt.Sprintf("a %s entry meets no SCA challenge of its own: challenges are cleared by a user (an OAuth user entry) or, legacy, a personal token's SCA key", e.Kind)
		for _, f := range scaFactorOrder {
			v.Factors = append(v.Factors, SCAFactorOption{Factor: f, WhyNot: "only OAuth user entries and personal tokens clear challenges"})
		}
	}
	return v
}
