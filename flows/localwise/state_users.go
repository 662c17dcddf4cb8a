package localwise

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"sync"
)

// The users surface: users, their profiles, and the users that
// registration-code signup creates.

// maxUsers bounds the users signup can create.
const maxUsers = 10_000

// user is a Wise user. The demo user can log in on the authorize page;
// users created by registration-code signup cannot (at Wise they have no
// password until they reclaim the account). A user is never changed once
// stored, so a pointer to it may be read outside the lock.
type user struct {
	id       int64
	email    string // normalized
	password string // empty: cannot log in
	me       userJSON
	profiles []profile
	// regClient and regHash are set for users created by signup: the
	// client that created them and SHA-256 of the registration code, which
	// is kept hashed like the password it stands in for.
	regClient string
	regHash   [32]byte
}

type profile struct {
	id    int64
	label string // shown on the consent page
	typ   string
	body  any // personalProfileJSON or businessProfileJSON
}

var (
	errEmailTaken = errors.New("email already registered")
	errUsersFull  = errors.New("user limit reached")
)

// userState is the users surface's tables behind one lock. Like every
// state, its methods take the lock themselves and call no other state.
type userState struct {
	mu      sync.Mutex
	byID    map[int64]*user
	byEmail map[string]*user
	nextID  int64
}

func newUserState(seed ...*user) *userState {
	us := &userState{byID: make(map[int64]*user), byEmail: make(map[string]*user)}
	for _, u := range seed {
		us.byID[u.id], us.byEmail[u.email] = u, u
		us.nextID = max(us.nextID, u.id+1)
	}
	return us
}

func (us *userState) user(id int64) *user {
	us.mu.Lock()
	defer us.mu.Unlock()
	return us.byID[id]
}

// login returns the user with this email and password, or nil.
func (us *userState) login(email, password string) *user {
	us.mu.Lock()
	u := us.byEmail[normalizeEmail(email)]
	us.mu.Unlock()
	if u == nil || u.password == "" || subtle.ConstantTimeCompare([]byte(password), []byte(u.password)) != 1 {
		return nil
	}
	return u
}

// registered returns the id of the user that clientID signed up with this
// email and registration code. An unknown user, another client's user and
// a wrong code look the same, so the grant cannot probe which emails exist.
func (us *userState) registered(clientID, email, code string) (int64, bool) {
	sum := sha256.Sum256([]byte(code))
	us.mu.Lock()
	u := us.byEmail[normalizeEmail(email)]
	us.mu.Unlock()
	if u == nil || u.regClient != clientID || subtle.ConstantTimeCompare(sum[:], u.regHash[:]) != 1 {
		return 0, false
	}
	return u.id, true
}

// signup creates a user for clientID, answering errEmailTaken or
// errUsersFull when it cannot.
func (us *userState) signup(clientID, email, code string) (userJSON, error) {
	email = normalizeEmail(email)
	us.mu.Lock()
	defer us.mu.Unlock()
	if us.byEmail[email] != nil {
		return userJSON{}, errEmailTaken
	}
	if len(us.byID) >= maxUsers {
		return userJSON{}, errUsersFull
	}
	u := &user{id: us.nextID, email: email, regClient: clientID, regHash: sha256.Sum256([]byte(code))}
	// Wise answers a fresh signup with name and details null.
	u.me = userJSON{ID: u.id, Email: email, Active: true}
	us.nextID++
	us.byID[u.id], us.byEmail[email] = u, u
	return u.me, nil
}

func (us *userState) exists(email string) bool {
	us.mu.Lock()
	defer us.mu.Unlock()
	return us.byEmail[normalizeEmail(email)] != nil
}
