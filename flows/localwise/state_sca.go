package localwise

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The SCA surface's tables: one-time tokens and their challenges, each
// user's factors (PINs, device fingerprints, the legacy SCA public keys),
// the consecutive-failure count and its 15-minute block, the 5-minute
// low-risk windows, the challenge mode and the counters tests read to
// prove nothing ran twice. Secrets are kept only as keyed hashes: a PIN or
// fingerprint typed into localwise is never stored in clear, here either.

// SCA modes: when a protected call is challenged (Config.SCAMode).
const (
	SCAAlways = "always" // every protected call (low-risk ones in the window excepted)
	SCANever  = "never"  // none
	SCARisk   = "risk"   // high-risk ones always, low-risk ones at random
)

const (
	ottValidity     = time.Hour // Wise's validity: 3600
	scaWindow       = 5 * time.Minute
	scaBlock        = 15 * time.Minute
	maxSCAFailures  = 5
	maxDevices      = 3 // Wise: at most 3 per profile
	maxSCAKeys      = 5 // Wise: at most 5 public keys
	maxFingerprint  = 256
	otpValid        = 5 * time.Minute
	maxOTTs         = 10_000
	maxKeySessions  = 1_000
	keySessionTTL   = 30 * time.Minute
	demoOTP         = "111111" // Wise's sandbox code, always
	demoSCAPhone    = "+447700908888"
	obfuscatedPhone = "*********8888"
)

// Challenge types, as Wise spells them.
const (
	chPIN      = "PIN"
	chFaceMap  = "FACE_MAP"
	chSMS      = "SMS"
	chWhatsApp = "WHATSAPP"
	chVoice    = "VOICE"
	chDevice   = "PARTNER_DEVICE_FINGERPRINT"
)

// scaRisk is how risky a protected operation is: a high-risk one needs two
// factors of different kinds and is never let through by the window.
type scaRisk int

const (
	riskLow scaRisk = iota + 1
	riskHigh
)

// challengesFor is what localwise asks for: Wise needs two factors of
// different kinds for high-risk operations. FACE_MAP is offered as an
// alternative so that clients meet a factor they cannot capture and must
// say so.
func challengesFor(r scaRisk) []ottChallenge {
	if r == riskHigh {
		return []ottChallenge{
			{primary: chPIN, alternatives: []string{chFaceMap}},
			{primary: chDevice, alternatives: []string{chSMS, chWhatsApp, chVoice}},
		}
	}
	return []ottChallenge{{primary: chPIN, alternatives: []string{chDevice, chSMS, chWhatsApp, chVoice, chFaceMap}}}
}

type ottChallenge struct {
	primary      string
	alternatives []string
	passed       bool
}

func (c ottChallenge) offers(t string) bool {
	return c.primary == t || slices.Contains(c.alternatives, t)
}

// oneTimeToken is one challenge: what it is bound to (the user and the very
// request, so a replay cannot be another call) and how far it got.
type oneTimeToken struct {
	id         string
	userID     int64
	profileID  int64
	actionType string
	method     string
	target     string // path and query
	bodySum    [32]byte
	created    time.Time
	challenges []ottChallenge
	session    bool // from sca-sessions/authorise: clearing it opens the window
	used       bool
	otpSent    map[string]time.Time // channel -> when triggered
}

func (o *oneTimeToken) cleared() bool {
	for _, c := range o.challenges {
		if !c.passed {
			return false
		}
	}
	return true
}

func (o *oneTimeToken) clone() oneTimeToken {
	c := *o
	c.challenges = slices.Clone(o.challenges)
	c.otpSent = maps.Clone(o.otpSent)
	return c
}

// scaError is a refusal of the SCA surface: the status, Wise-style code and
// message, and for a block the seconds to wait.
type scaError struct {
	status     int
	code, msg  string
	args       []string
	retryAfter int
}

// factorKey names whose factor: profile 0 is user-wide (the v1 enrolment).
type factorKey struct{ user, profile int64 }

type deviceRec struct {
	id      string
	sum     [32]byte
	created time.Time
}

type scaKey struct {
	id      string
	pub     any // *rsa.PublicKey
	bits    int
	sum     string // hex SHA-256 of the DER SPKI
	created time.Time
}

type failures struct {
	count        int
	blockedUntil time.Time
}

// SCAStats counts what the SCA surface did: challenges raised, replays
// approved and refused, and each protected operation that ran, by method
// and path.
type SCAStats struct {
	Challenges int            `json:"challenges"`
	Approved   int            `json:"approved"`
	Rejected   int            `json:"rejected"`
	Executed   map[string]int `json:"executed"`
}

type scaState struct {
	mu       sync.Mutex
	mode     string
	seed     uint64
	rng      *mrand.Rand
	legacy   bool
	hashKey  []byte // keys the hashes of PINs and fingerprints
	otts     *fifo[*oneTimeToken]
	pins     map[factorKey][32]byte
	devices  map[factorKey][]deviceRec
	keys     map[int64][]scaKey
	fails    map[int64]*failures
	windows  map[factorKey]time.Time
	sessions *fifo[keySession]
	stats    SCAStats
}

type keySession struct {
	userID int64
	until  time.Time
}

func newSCAState(mode string, seed uint64) *scaState {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	st := &scaState{
		legacy:   true,
		hashKey:  key,
		otts:     newFIFO[*oneTimeToken](maxOTTs),
		pins:     make(map[factorKey][32]byte),
		devices:  make(map[factorKey][]deviceRec),
		keys:     make(map[int64][]scaKey),
		fails:    make(map[int64]*failures),
		windows:  make(map[factorKey]time.Time),
		sessions: newFIFO[keySession](maxKeySessions),
		stats:    SCAStats{Executed: map[string]int{}},
	}
	st.configure(&mode, &seed, nil)
	return st
}

// validSCAMode reports whether m is one of the three modes.
func validSCAMode(m string) bool { return m == SCAAlways || m == SCANever || m == SCARisk }

// configure changes what is given; a new seed restarts the random sequence.
func (st *scaState) configure(mode *string, seed *uint64, legacy *bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if mode != nil {
		st.mode = *mode
		if !validSCAMode(st.mode) {
			st.mode = SCAAlways
		}
	}
	if seed != nil {
		st.seed = *seed
		st.rng = mrand.New(mrand.NewPCG(st.seed, st.seed^0x5ca))
	}
	if legacy != nil {
		st.legacy = *legacy
	}
}

func (st *scaState) config() (mode string, seed uint64, legacy bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.mode, st.seed, st.legacy
}

func (st *scaState) snapshot() SCAStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.stats
	s.Executed = maps.Clone(st.stats.Executed)
	return s
}

// maxExecutedKeys bounds the per-call counters: paths carry any transfer
// and balance id a caller makes up.
const maxExecutedKeys = 10_000

func (st *scaState) executed(op string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.stats.Executed[op]; !ok && len(st.stats.Executed) >= maxExecutedKeys {
		op = "other"
	}
	st.stats.Executed[op]++
}

func (st *scaState) sum(secret string) [32]byte {
	m := hmac.New(sha256.New, st.hashKey)
	m.Write([]byte(secret))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// blockedLocked is the end of the user's block, when one is running.
func (st *scaState) blockedLocked(now time.Time, userID int64) (time.Time, bool) {
	f := st.fails[userID]
	if f == nil || f.blockedUntil.IsZero() {
		return time.Time{}, false
	}
	if !now.Before(f.blockedUntil) {
		// The block is over: the count starts again.
		delete(st.fails, userID)
		return time.Time{}, false
	}
	return f.blockedUntil, true
}

func blockedError(now, until time.Time, status int) *scaError {
	secs := int(until.Sub(now).Round(time.Second) / time.Second)
	return &scaError{status: status, code: "sca.blocked", retryAfter: max(secs, 1),
		msg: "Too many failed attempts: one-time tokens are blocked for this user until " +
			until.UTC().Format(time.RFC3339) + " (15 minutes after the fifth failure in a row); try again then",
		args: []string{until.UTC().Format(time.RFC3339)}}
}

// Blocked answers 429 when asked for a new one-time token (Wise: OTT
// creation is blocked), 400 on a verification.
func (st *scaState) blocked(now time.Time, userID int64) (time.Time, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.blockedLocked(now, userID)
}

// failLocked counts one failed verification and returns the refusal: the
// factor's code with the attempts left, or the block on the fifth.
func (st *scaState) failLocked(now time.Time, userID int64, code, what string) *scaError {
	f := st.fails[userID]
	if f == nil {
		f = &failures{}
		st.fails[userID] = f
	}
	f.count++
	if f.count >= maxSCAFailures {
		f.blockedUntil = now.Add(scaBlock)
		return blockedError(now, f.blockedUntil, 400)
	}
	left := maxSCAFailures - f.count
	return &scaError{status: 400, code: code, args: []string{strconv.Itoa(left)},
		msg: what + ": " + strconv.Itoa(left) + " attempts left before one-time tokens are blocked for 15 minutes"}
}

// shouldChallenge decides whether a protected call is challenged now.
func (st *scaState) shouldChallenge(now time.Time, userID, profileID int64, r scaRisk) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.mode == SCANever {
		return false
	}
	if r == riskLow && now.Before(st.windows[factorKey{userID, profileID}]) {
		return false
	}
	if st.mode == SCARisk && r == riskLow {
		return st.rng.IntN(2) == 0
	}
	return true
}

func (st *scaState) windowOpen(now time.Time, userID, profileID int64) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return now.Before(st.windows[factorKey{userID, profileID}])
}

func (st *scaState) openWindowLocked(now time.Time, userID, profileID int64) {
	st.windows[factorKey{userID, profileID}] = now.Add(scaWindow)
}

// issue stores a new one-time token, unless the user is blocked.
func (st *scaState) issue(now time.Time, o *oneTimeToken) (oneTimeToken, *scaError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if until, ok := st.blockedLocked(now, o.userID); ok {
		return oneTimeToken{}, blockedError(now, until, 429)
	}
	o.id, o.created = newUUID(), now
	st.otts.put(o.id, o)
	if !o.session {
		st.stats.Challenges++
	}
	return o.clone(), nil
}

// ottLocked finds a live one-time token of userID (any user when userID is
// 0, for the approval page, where the token is the only credential).
func (st *scaState) ottLocked(now time.Time, id string, userID int64) (*oneTimeToken, *scaError) {
	if id == "" {
		return nil, &scaError{status: 400, code: "NOT_NULL", msg: "The One-Time-Token header is required: send the x-2fa-approval value of the refused call"}
	}
	if !uuidShape().MatchString(id) {
		return nil, &scaError{status: 400, code: "ott.invalid", msg: "The one-time token is not a UUID: send the x-2fa-approval value of the refused call as it came"}
	}
	o, ok := st.otts.get(id)
	if !ok || userID != 0 && o.userID != userID {
		return nil, &scaError{status: 400, code: "ott.not.found", msg: "No such one-time token for this user: make the protected call again for a new one"}
	}
	if !now.Before(o.created.Add(ottValidity)) {
		return nil, &scaError{status: 400, code: "ott.expired", msg: "The one-time token expired (it lasts an hour): make the protected call again for a new one"}
	}
	if o.used {
		return nil, &scaError{status: 400, code: "ott.used", msg: "The one-time token was already used: make the protected call again for a new one"}
	}
	return o, nil
}

// status is a copy of a live one-time token of userID.
func (st *scaState) status(now time.Time, id string, userID int64) (oneTimeToken, *scaError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	o, err := st.ottLocked(now, id, userID)
	if err != nil {
		return oneTimeToken{}, err
	}
	return o.clone(), nil
}

// replayResult is what a replay with x-2fa-approval gets.
type replayResult int

const (
	replayApproved   replayResult = iota + 1
	replayNotCleared              // keep going: the same token again
	replayRefused                 // the token is gone or not this call's
)

// replay checks a replay against its one-time token and, when approved,
// uses the token up (under the lock, so two racing replays run once).
// signed is true when the request carried a valid legacy signature.
func (st *scaState) replay(now time.Time, id string, userID int64, method, target string, sum [32]byte, signed bool) (replayResult, oneTimeToken, string, string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	o, err := st.ottLocked(now, id, userID)
	if err != nil {
		st.stats.Rejected++
		return replayRefused, oneTimeToken{}, err.code, err.msg
	}
	if o.method != method || o.target != target || o.bodySum != sum {
		st.stats.Rejected++
		return replayRefused, oneTimeToken{}, "ott.mismatch",
			"The one-time token was issued for another call (" + o.method + " " + o.target + "): replay exactly the call that was refused, same method, path and body"
	}
	if !signed && !o.cleared() {
		st.stats.Rejected++
		return replayNotCleared, o.clone(), "", ""
	}
	o.used = true
	st.stats.Approved++
	st.openWindowLocked(now, o.userID, o.profileID)
	return replayApproved, o.clone(), "", ""
}

// factorAttempt is one try at clearing a challenge.
type factorAttempt struct {
	kind      string // a challenge type
	profileID int64  // whose factor (v2 path), or 0 for the token's own profile (v1)
	secret    string // PIN, fingerprint or OTP code
}

// attempt verifies one factor against a one-time token and marks the first
// open challenge it can clear as passed. Every step runs under the lock so
// that racing attempts count every failure.
func (st *scaState) attempt(now time.Time, id string, userID int64, a factorAttempt) (oneTimeToken, *scaError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	o, err := st.ottLocked(now, id, userID)
	if err != nil {
		return oneTimeToken{}, err
	}
	if until, ok := st.blockedLocked(now, userID); ok {
		return oneTimeToken{}, blockedError(now, until, 400)
	}
	ci := slices.IndexFunc(o.challenges, func(c ottChallenge) bool { return !c.passed && c.offers(a.kind) })
	if ci < 0 {
		return oneTimeToken{}, &scaError{status: 400, code: "challenge.not.applicable",
			msg: "This one-time token has no open challenge that " + a.kind + " can clear: read its status for the challenges left"}
	}
	profile := a.profileID
	if profile == 0 {
		profile = o.profileID
	}
	own, wide := factorKey{userID, profile}, factorKey{userID, 0}
	switch a.kind {
	case chPIN:
		sum := st.sum(a.secret)
		p1, ok1 := st.pins[own]
		p2, ok2 := st.pins[wide]
		if !ok1 && !ok2 {
			return oneTimeToken{}, &scaError{status: 404, code: "pin.not.setup", msg: "No PIN has been set up for this profile: create one first"}
		}
		if !(ok1 && hmac.Equal(p1[:], sum[:])) && !(ok2 && hmac.Equal(p2[:], sum[:])) {
			return oneTimeToken{}, st.failLocked(now, userID, "pin.invalid", "The PIN is not correct")
		}
	case chDevice:
		devs := append(slices.Clone(st.devices[own]), st.devices[wide]...)
		if len(devs) == 0 {
			return oneTimeToken{}, &scaError{status: 404, code: "device.fingerprint.not.setup", msg: "No device fingerprint has been registered for this profile: create one first"}
		}
		sum := st.sum(a.secret)
		if !slices.ContainsFunc(devs, func(d deviceRec) bool { return hmac.Equal(d.sum[:], sum[:]) }) {
			return oneTimeToken{}, st.failLocked(now, userID, "device.fingerprint.invalid", "The device fingerprint is not one registered for this profile")
		}
	case chSMS, chWhatsApp, chVoice:
		sent, ok := o.otpSent[a.kind]
		if !ok || !now.Before(sent.Add(otpValid)) {
			return oneTimeToken{}, &scaError{status: 400, code: "otp.not.triggered",
				msg: "No " + a.kind + " code was sent for this one-time token in the last 5 minutes: trigger one first"}
		}
		if subtle.ConstantTimeCompare([]byte(a.secret), []byte(demoOTP)) != 1 {
			return oneTimeToken{}, st.failLocked(now, userID, "otp.invalid", "The code is not correct")
		}
	default:
		return oneTimeToken{}, &scaError{status: 400, code: "challenge.not.applicable", msg: a.kind + " cannot be verified here"}
	}
	delete(st.fails, userID) // a success ends the run of failures
	o.challenges[ci].passed = true
	if o.session && o.cleared() {
		st.openWindowLocked(now, o.userID, o.profileID)
	}
	return o.clone(), nil
}

// approveAll clears every challenge of a token at once: the approval
// page's sign-in (password and phone code) stands in for Wise's own.
func (st *scaState) approveAll(now time.Time, id string, ok bool) (oneTimeToken, *scaError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	o, err := st.ottLocked(now, id, 0)
	if err != nil {
		return oneTimeToken{}, err
	}
	if until, blocked := st.blockedLocked(now, o.userID); blocked {
		return oneTimeToken{}, blockedError(now, until, 400)
	}
	if !ok {
		return oneTimeToken{}, st.failLocked(now, o.userID, "approval.invalid", "The password or the code is not correct")
	}
	delete(st.fails, o.userID)
	for i := range o.challenges {
		o.challenges[i].passed = true
	}
	if o.session {
		st.openWindowLocked(now, o.userID, o.profileID)
	}
	return o.clone(), nil
}

// otpTrigger records that a code was "sent" on channel for a token.
func (st *scaState) otpTrigger(now time.Time, id string, userID int64, channel string) *scaError {
	st.mu.Lock()
	defer st.mu.Unlock()
	o, err := st.ottLocked(now, id, userID)
	if err != nil {
		return err
	}
	if until, ok := st.blockedLocked(now, userID); ok {
		return blockedError(now, until, 400)
	}
	if !slices.ContainsFunc(o.challenges, func(c ottChallenge) bool { return !c.passed && c.offers(channel) }) {
		return &scaError{status: 400, code: "challenge.not.applicable",
			msg: "This one-time token has no open challenge that " + channel + " can clear: read its status for the challenges left"}
	}
	if o.otpSent == nil {
		o.otpSent = map[string]time.Time{}
	}
	o.otpSent[channel] = now
	return nil
}

// PINs.

func (st *scaState) createPIN(k factorKey, pin string) *scaError {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.pins[k]; ok {
		return &scaError{status: 409, code: "pin.already.exists", msg: "A PIN has already been created here: delete it first to set another"}
	}
	st.pins[k] = st.sum(pin)
	return nil
}

func (st *scaState) deletePIN(k factorKey) *scaError {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.pins[k]; !ok {
		return &scaError{status: 404, code: "pin.not.setup", msg: "No PIN has been set up for this profile"}
	}
	delete(st.pins, k)
	return nil
}

// hasOwnPIN reports whether k itself has a PIN (a user-wide one is not
// k's to delete).
func (st *scaState) hasOwnPIN(k factorKey) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.pins[k]
	return ok
}

// Device fingerprints.

func (st *scaState) createDevice(now time.Time, k factorKey, fp string) (deviceRec, *scaError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sum := st.sum(fp)
	devs := st.devices[k]
	if slices.ContainsFunc(devs, func(d deviceRec) bool { return d.sum == sum }) {
		return deviceRec{}, &scaError{status: 409, code: "device.fingerprint.exists", msg: "This device fingerprint has already been created"}
	}
	if len(devs) >= maxDevices {
		return deviceRec{}, &scaError{status: 400, code: "device.fingerprint.limit",
			msg: "Maximum number of device fingerprints reached (3): delete one before registering another"}
	}
	d := deviceRec{id: newUUID(), sum: sum, created: now}
	st.devices[k] = append(devs, d)
	return d, nil
}

func (st *scaState) listDevices(userID, profileID int64) []deviceRec {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append(slices.Clone(st.devices[factorKey{userID, profileID}]), st.devices[factorKey{userID, 0}]...)
}

// deleteDevice removes a fingerprint of the profile or a user-wide one.
func (st *scaState) deleteDevice(userID, profileID int64, id string) *scaError {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, k := range []factorKey{{userID, profileID}, {userID, 0}} {
		devs := st.devices[k]
		if i := slices.IndexFunc(devs, func(d deviceRec) bool { return d.id == id }); i >= 0 {
			st.devices[k] = slices.Delete(slices.Clone(devs), i, i+1)
			return nil
		}
	}
	return &scaError{status: 404, code: "device.fingerprint.not.found", msg: "The device fingerprint ID does not exist for this profile"}
}

// Legacy SCA public keys.

func (st *scaState) addKey(userID int64, k scaKey) *scaError {
	st.mu.Lock()
	defer st.mu.Unlock()
	keys := st.keys[userID]
	if slices.ContainsFunc(keys, func(o scaKey) bool { return o.sum == k.sum }) {
		return &scaError{status: 409, code: "NOT_UNIQUE", msg: "This public key is already uploaded"}
	}
	if len(keys) >= maxSCAKeys {
		return &scaError{status: 422, code: "LIMIT_REACHED", msg: "This account has 5 public keys already (Wise's limit): delete one before adding another"}
	}
	st.keys[userID] = append(keys, k)
	return nil
}

func (st *scaState) listKeys(userID int64) []scaKey {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.keys[userID])
}

func (st *scaState) deleteKey(userID int64, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	keys := st.keys[userID]
	i := slices.IndexFunc(keys, func(k scaKey) bool { return k.id == id })
	if i < 0 {
		return false
	}
	st.keys[userID] = slices.Delete(slices.Clone(keys), i, i+1)
	return true
}

func (st *scaState) legacyOn() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.legacy
}

// The "Manage public keys" page's sign-in sessions.

func (st *scaState) signIn(now time.Time, session string, userID int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sessions.put(session, keySession{userID: userID, until: now.Add(keySessionTTL)})
}

func (st *scaState) session(now time.Time, session string) (int64, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.sessions.get(session)
	if !ok || !now.Before(s.until) {
		return 0, false
	}
	return s.userID, true
}
