package flows

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// Environment is where a credential is valid, with the hosts it talks to
// (wallet.Environment: each entry keeps its own copy).
type Environment = wallet.Environment

// EnvName names an environment.
type EnvName = wallet.EnvName

// The environments. Production is never a default anywhere: it must be
// named.
const (
	EnvSandbox    = wallet.EnvSandbox
	EnvProduction = wallet.EnvProduction
	EnvLocal      = wallet.EnvLocal
)

// environmentOf is a Wise environment as an entry stores it: its own
// copy of the hosts, so a change in wise/ never silently moves an
// existing credential.
func environmentOf(name wallet.EnvName, h wise.Hosts) wallet.Environment {
	return wallet.Environment{Name: name, APIURL: h.API, AuthorizeURL: h.Authorize, MTLSURL: h.MTLS}
}

// ResolveEnv turns an environment's name and API URL into an Environment. There is no
// default: production must always be asked for by name. Sandbox and
// production always talk to Wise's own hosts, so their label is true: an
// API URL is refused for them (ErrOnlyLocal). For "local" (a
// localwise server) the API URL is required, must be on this machine
// (ErrNotLoopback), and the authorize page is on the same host.
func ResolveEnv(name, apiURL string) (wallet.Environment, error) {
	var env wallet.Environment
	switch wallet.EnvName(name) {
	case wallet.EnvSandbox, wallet.EnvProduction:
		if apiURL != "" {
			return env, &InputError{Input: InputAPIURL, Value: withoutUserinfo(apiURL), Reason: ErrOnlyLocal}
		}
		if wallet.EnvName(name) == wallet.EnvSandbox {
			return environmentOf(wallet.EnvSandbox, wise.Sandbox()), nil
		}
		return environmentOf(wallet.EnvProduction, wise.Production()), nil
	case wallet.EnvLocal:
		if apiURL == "" {
			return env, &InputError{Input: InputAPIURL, Reason: ErrMissing}
		}
	case "":
		return env, &InputError{Input: InputEnv, Reason: ErrMissing}
	default:
		return env, &InputError{Input: InputEnv, Value: name, Reason: ErrUnknownEnv}
	}
	if err := CheckLocalURL(apiURL); err != nil {
		return env, &InputError{Input: InputAPIURL, Value: withoutUserinfo(apiURL), Reason: err}
	}
	env = wallet.Environment{Name: wallet.EnvLocal, APIURL: strings.TrimRight(apiURL, "/")}
	env.AuthorizeURL = env.APIURL + "/oauth/authorize"
	return env, nil
}

// CheckLocalURL checks a local environment's URL the user typed: http(s)
// with a host on this machine (localhost or a loopback IP literal), no
// user name or password.
func CheckLocalURL(raw string) error {
	if err := CheckAPIURL(raw); err != nil && err != ErrPlainHTTPRemote {
		return err
	}
	if u, _ := url.Parse(raw); !isLoopbackHost(u.Hostname()) {
		return ErrNotLoopback
	}
	return nil
}

// Reasons CheckAPIURL refuses a URL; callers word them for their users.
var (
	ErrNotHTTPURL      = errors.New("is not an http(s) URL")
	ErrPlainHTTPRemote = errors.New("uses http to another machine; use https")
	// ErrURLUserinfo: the URL holds a user name or password
	// (https://user:token@host), which would be stored and printed with it.
	ErrURLUserinfo = errors.New("holds a user name or password; give the URL without them")
	// ErrOnlyLocal: an API or mTLS URL for sandbox or production, which
	// always use Wise's own hosts.
	ErrOnlyLocal = errors.New("is only for the local environment: sandbox and production always use Wise's own hosts")
	// ErrNotLoopback: a local environment's URL on another machine; the
	// local environment is a localwise server on this one.
	ErrNotLoopback = errors.New("is not on this machine: the local environment is a localwise server on 127.0.0.1 or localhost")
)

// CheckAPIURL checks an API base URL the user typed: http(s) with a host,
// no user name or password, and plain http only to this machine, so a
// token never crosses a network in clear text.
func CheckAPIURL(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && u.User != nil {
		return ErrURLUserinfo
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrNotHTTPURL
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return ErrPlainHTTPRemote
	}
	return nil
}

// withoutUserinfo is raw without a user name or password in it, which
// may be a token: an InputError prints its value.
func withoutUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// isLoopbackHost accepts "localhost" and loopback IP literals only. A
// name that merely starts like one ("127.attacker.example") is resolved by
// DNS, which anyone can point anywhere: a token would cross the network in
// clear text, and the login listener would bind wherever it resolves.
func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
