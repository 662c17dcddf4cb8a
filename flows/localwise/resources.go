package localwise

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
)

// userJSON is Wise's user schema (GET /v1/me, signup response).
type userJSON struct {
	ID      int64        `json:"id"`
	Name    *string      `json:"name"`
	Email   string       `json:"email"`
	Active  bool         `json:"active"`
	Details *userDetails `json:"details"`
}

type userDetails struct {
	FirstName      string      `json:"firstName"`
	LastName       string      `json:"lastName"`
	PhoneNumber    string      `json:"phoneNumber"`
	DateOfBirth    string      `json:"dateOfBirth"`
	Occupation     string      `json:"occupation"`
	Avatar         string      `json:"avatar"`
	PrimaryAddress int64       `json:"primaryAddress"`
	Address        userAddress `json:"address"`
}

type userAddress struct {
	CountryCode string `json:"countryCode"`
	FirstLine   string `json:"firstLine"`
	PostCode    string `json:"postCode"`
	City        string `json:"city"`
	State       string `json:"state"`
	Occupation  string `json:"occupation"`
}

type addressJSON struct {
	ID               int64   `json:"id"`
	AddressFirstLine string  `json:"addressFirstLine"`
	City             string  `json:"city"`
	CountryIso2Code  string  `json:"countryIso2Code"`
	CountryIso3Code  string  `json:"countryIso3Code"`
	PostCode         string  `json:"postCode"`
	StateCode        *string `json:"stateCode"`
}

type contactDetails struct {
	Email       string `json:"email"`
	PhoneNumber string `json:"phoneNumber"`
}

type personalProfileJSON struct {
	Type               string         `json:"type"`
	ID                 int64          `json:"id"`
	PublicID           string         `json:"publicId"`
	UserID             int64          `json:"userId"`
	Address            addressJSON    `json:"address"`
	Email              string         `json:"email"`
	CreatedAt          string         `json:"createdAt"`
	UpdatedAt          string         `json:"updatedAt"`
	Avatar             *string        `json:"avatar"`
	CurrentState       string         `json:"currentState"`
	ContactDetails     contactDetails `json:"contactDetails"`
	FirstName          string         `json:"firstName"`
	LastName           string         `json:"lastName"`
	PreferredName      string         `json:"preferredName"`
	DateOfBirth        string         `json:"dateOfBirth"`
	PhoneNumber        string         `json:"phoneNumber"`
	SecondaryAddresses []addressJSON  `json:"secondaryAddresses"`
	FullName           string         `json:"fullName"`
}

type businessProfileJSON struct {
	Type                        string         `json:"type"`
	ID                          int64          `json:"id"`
	PublicID                    string         `json:"publicId"`
	UserID                      int64          `json:"userId"`
	Address                     addressJSON    `json:"address"`
	Email                       string         `json:"email"`
	CreatedAt                   string         `json:"createdAt"`
	UpdatedAt                   string         `json:"updatedAt"`
	CurrentState                string         `json:"currentState"`
	ContactDetails              contactDetails `json:"contactDetails"`
	BusinessName                string         `json:"businessName"`
	RegistrationNumber          string         `json:"registrationNumber"`
	DescriptionOfBusiness       string         `json:"descriptionOfBusiness"`
	Webpage                     string         `json:"webpage"`
	CompanyType                 string         `json:"companyType"`
	CompanyRole                 string         `json:"companyRole"`
	BusinessFreeFormDescription string         `json:"businessFreeFormDescription"`
	FirstLevelCategory          string         `json:"firstLevelCategory"`
	SecondLevelCategory         string         `json:"secondLevelCategory"`
	OperationalAddresses        []addressJSON  `json:"operationalAddresses"`
	FullName                    string         `json:"fullName"`
}

// demoUser builds the demo user with a personal and a business profile.
// Profile timestamps have no zone, as in Wise's own examples, so clients
// meet the shape Wise sends.
func demoUser() *user {
	name := "Demo User"
	home := addressJSON{ID: 36000001, AddressFirstLine: "1 Demo Street", City: "London",
		CountryIso2Code: "GB", CountryIso3Code: "gbr", PostCode: "EC1A 1AA"}
	office := addressJSON{ID: 36000002, AddressFirstLine: "2 Demo Yard", City: "Manchester",
		CountryIso2Code: "GB", CountryIso3Code: "gbr", PostCode: "M1 1AE"}
	const phone = "+447700900001" // Ofcom's range reserved for drama
	return &user{
		id:       DemoUserID,
		email:    DemoUserEmail,
		password: DemoUserPassword,
		me: userJSON{
			ID: DemoUserID, Name: &name, Email: DemoUserEmail, Active: true,
			Details: &userDetails{
				FirstName: "Demo", LastName: "User", PhoneNumber: phone, DateOfBirth: "1990-01-01",
				PrimaryAddress: home.ID,
				Address:        userAddress{CountryCode: "GB", FirstLine: home.AddressFirstLine, PostCode: home.PostCode, City: home.City},
			},
		},
		profiles: []profile{
			{id: DemoPersonalProfileID, label: "Demo User", typ: "PERSONAL", body: personalProfileJSON{
				Type: "PERSONAL", ID: DemoPersonalProfileID, PublicID: "7d3f5a2e-1c4b-4e8a-9b6d-0a1b2c3d4e01",
				UserID: DemoUserID, Address: home, Email: DemoUserEmail,
				CreatedAt: "2024-01-15T10:30:00", UpdatedAt: "2025-06-18T14:20:00", CurrentState: "VISIBLE",
				ContactDetails: contactDetails{Email: DemoUserEmail, PhoneNumber: phone},
				FirstName:      "Demo", LastName: "User", PreferredName: "Demo", DateOfBirth: "1990-01-01",
				PhoneNumber: phone, SecondaryAddresses: []addressJSON{}, FullName: name,
			}},
			{id: DemoBusinessProfileID, label: "Demo Widgets Ltd", typ: "BUSINESS", body: businessProfileJSON{
				Type: "BUSINESS", ID: DemoBusinessProfileID, PublicID: "7d3f5a2e-1c4b-4e8a-9b6d-0a1b2c3d4e02",
				UserID: DemoUserID, Address: office, Email: "business@localwise.test",
				CreatedAt: "2024-03-10T09:00:00", UpdatedAt: "2025-06-18T14:22:00", CurrentState: "VISIBLE",
				ContactDetails:              contactDetails{Email: "business@localwise.test", PhoneNumber: "+441617000001"},
				BusinessName:                "Demo Widgets Ltd",
				RegistrationNumber:          "00000001",
				DescriptionOfBusiness:       "SOFTWARE_DEVELOPMENT",
				Webpage:                     "https://example.com",
				CompanyType:                 "LIMITED_COMPANY",
				CompanyRole:                 "OWNER",
				BusinessFreeFormDescription: "A business that exists only inside localwise.",
				FirstLevelCategory:          "CONSULTING_IT_BUSINESS_SERVICES",
				SecondLevelCategory:         "IT_DEVELOPMENT",
				OperationalAddresses:        []addressJSON{office},
				FullName:                    "Demo Widgets Ltd",
			}},
		},
	}
}

func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// authenticateBearer resolves the bearer token or answers 401 itself. The
// error descriptions never contain the token: Wise's docs show it echoed,
// but this project keeps secrets out of error messages.
func (s *Server) authenticateBearer(w http.ResponseWriter, r *http.Request) (principal, bool) {
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="localwise"`)
		writeOAuthError(w, http.StatusUnauthorized, "unauthorized", "Full authentication is required to access this resource")
		return principal{}, false
	}
	p, desc, ok := s.tokens.bearer(s.now(), tok)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="localwise", error="invalid_token"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", desc)
		return principal{}, false
	}
	return p, true
}

// forbidKind answers 403 insufficient_scope (RFC 6750 §3.1): the token is
// valid, so a 401 would send the client into a pointless refresh or login.
func forbidKind(w http.ResponseWriter, need string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="localwise", error="insufficient_scope"`)
	writeOAuthError(w, http.StatusForbidden, "insufficient_scope", "This endpoint needs "+need)
}

// userPrincipal authenticates a user access token or personal token.
func (s *Server) userPrincipal(w http.ResponseWriter, r *http.Request) (*user, bool) {
	p, ok := s.authenticateBearer(w, r)
	if !ok {
		return nil, false
	}
	if p.kind == kindClient {
		forbidKind(w, "a user access token or a personal token")
		return nil, false
	}
	u := s.users.user(p.userID)
	if u == nil {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "Invalid access token")
		return nil, false
	}
	return u, true
}

// clientPrincipal authenticates a client-credentials token.
func (s *Server) clientPrincipal(w http.ResponseWriter, r *http.Request) (principal, bool) {
	p, ok := s.authenticateBearer(w, r)
	if !ok {
		return p, false
	}
	if p.kind != kindClient {
		forbidKind(w, "a client-credentials token")
		return p, false
	}
	return p, true
}

// handleMe is GET /v1/me.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	u, ok := s.userPrincipal(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, u.me)
}

// handleProfiles is GET /v2/profiles.
func (s *Server) handleProfiles(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	u, ok := s.userPrincipal(w, r)
	if !ok {
		return
	}
	out := make([]any, 0, len(u.profiles))
	for _, p := range u.profiles {
		out = append(out, p.body)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleProfile is GET /v2/profiles/{profileId}; another user's profile is
// a 404, so ids cannot be probed.
func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	u, ok := s.userPrincipal(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("profileId"), 10, 64)
	if err != nil {
		writeSpringError(w, r, http.StatusBadRequest, "profileId must be an integer")
		return
	}
	i := slices.IndexFunc(u.profiles, func(p profile) bool { return p.id == id })
	if i < 0 {
		writeSpringError(w, r, http.StatusNotFound, "Profile not found")
		return
	}
	writeJSON(w, http.StatusOK, u.profiles[i].body)
}

// signupLanguages are the values Wise allows for language.
var signupLanguages = []string{"EN", "US", "PT", "ES", "FR", "DE", "IT", "JA", "RU", "PL", "HU", "TR", "RO", "NL", "HK"}

const (
	minRegistrationCode = 32  // Wise's documented minimum
	maxRegistrationCode = 512 // ours: it is hashed, but no need to accept novels
	maxEmailLen         = 254 // RFC 5321 path limit
)

// decodeJSONBody decodes the request body or answers 400 (or 413) itself.
func decodeJSONBody(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(r.Body).Decode(v)
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeFieldErrors(w, http.StatusRequestEntityTooLarge, fieldError{Code: "NOT_READABLE", Message: "Request body too large"})
		return false
	}
	writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_READABLE", Message: "Request body is not valid JSON"})
	return false
}

func validEmail(e string) bool {
	if e == "" || len(e) > maxEmailLen {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

// handleSignup is POST /v1/user/signup/registration_code.
func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	p, ok := s.clientPrincipal(w, r)
	if !ok {
		return
	}
	var req struct {
		Email            string `json:"email"`
		RegistrationCode string `json:"registrationCode"`
		Language         string `json:"language"`
	}
	if !decodeJSONBody(w, r, &req) {
		return
	}
	var errs []fieldError
	if !validEmail(req.Email) {
		errs = append(errs, fieldError{Code: "NOT_VALID", Message: "A valid email address is required", Path: "email"})
	}
	switch n := len(req.RegistrationCode); {
	case n < minRegistrationCode:
		errs = append(errs, fieldError{Code: "NOT_VALID", Message: "Registration code must be at least 32 characters long", Path: "registrationCode"})
	case n > maxRegistrationCode:
		errs = append(errs, fieldError{Code: "NOT_VALID", Message: "Registration code is too long", Path: "registrationCode"})
	}
	if req.Language != "" && !slices.Contains(signupLanguages, strings.ToUpper(req.Language)) {
		errs = append(errs, fieldError{Code: "NOT_VALID", Message: "Unsupported language", Path: "language"})
	}
	if len(errs) > 0 {
		writeFieldErrors(w, http.StatusUnprocessableEntity, errs...)
		return
	}
	me, err := s.users.signup(p.clientID, req.Email, req.RegistrationCode)
	switch {
	case errors.Is(err, errEmailTaken):
		// Wise's wording, typographic apostrophe included.
		writeFieldErrors(w, http.StatusConflict, fieldError{Code: "NOT_UNIQUE",
			Message: "You’re already a member. Please login", Path: "email", Arguments: []string{"email"}})
		return
	case err != nil:
		writeSpringError(w, r, http.StatusServiceUnavailable, "localwise user limit reached")
		return
	}
	writeJSON(w, http.StatusOK, me)
}

// handleUserExists is POST /v1/users/exists.
func (s *Server) handleUserExists(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	if _, ok := s.clientPrincipal(w, r); !ok {
		return
	}
	var req struct {
		Email string `json:"email"`
	}
	if !decodeJSONBody(w, r, &req) {
		return
	}
	if req.Email == "" || len(req.Email) > maxEmailLen {
		writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "NOT_VALID", Message: "A valid email address is required", Path: "email"})
		return
	}
	exists := s.users.exists(req.Email)
	writeJSON(w, http.StatusOK, struct {
		Exists bool `json:"exists"`
	}{exists})
}
