package flows

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/wisewallet/wisewallet/wallet"
)

// ErrUsage marks errors in what the user asked for (a bad flag value, a
// missing argument), as opposed to failures while doing it.
var ErrUsage = errors.New("usage")

// Wise's hosts per environment (reference/wise-auth.md §1). The sandbox
// values are the current "V2" sandbox; an entry stores its own copy, so a
// change here never silently moves an existing credential.
var (
	sandboxEnv = wallet.Environment{
		Name:         wallet.EnvSandbox,
		APIURL:       "https://api.wise-sandbox.com",
		AuthorizeURL: "https://wise-sandbox.com/oauth/authorize/",
		MTLSURL:      "https://api-mtls.wise-sandbox.com",
	}
	productionEnv = wallet.Environment{
		Name:         wallet.EnvProduction,
		APIURL:       "https://api.wise.com",
		AuthorizeURL: "https://wise.com/oauth/authorize/",
		MTLSURL:      "https://api-mtls.transferwise.com",
	}
)

// ResolveEnv turns --env and --api-url into an Environment. There is no
// default: production must always be asked for by name. For "local" (a
// localwise server) the API URL is required and the authorize page is on
// the same host.
func ResolveEnv(name, apiURL string) (wallet.Environment, error) {
	var env wallet.Environment
	switch wallet.EnvName(name) {
	case wallet.EnvSandbox:
		env = sandboxEnv
	case wallet.EnvProduction:
		env = productionEnv
	case wallet.EnvLocal:
		if apiURL == "" {
			return env, fmt.Errorf("%w: --env local needs --api-url (the URL 'wisewallet localwise' prints)", ErrUsage)
		}
		env = wallet.Environment{Name: wallet.EnvLocal}
	case "":
		return env, fmt.Errorf("%w: --env is required: sandbox, production or local", ErrUsage)
	default:
		return env, fmt.Errorf("%w: unknown environment %q: use sandbox, production or local", ErrUsage, name)
	}
	if apiURL != "" {
		if err := CheckAPIURL(apiURL); err != nil {
			return env, fmt.Errorf("%w: --api-url %q %v", ErrUsage, apiURL, err)
		}
		env.APIURL = strings.TrimRight(apiURL, "/")
		if wallet.EnvName(name) == wallet.EnvLocal {
			env.AuthorizeURL = env.APIURL + "/oauth/authorize"
			env.MTLSURL = ""
		}
	}
	return env, nil
}

// Reasons CheckAPIURL refuses a URL; callers word them for their users.
var (
	ErrNotHTTPURL      = errors.New("is not an http(s) URL")
	ErrPlainHTTPRemote = errors.New("uses http to another machine; use https")
)

// CheckAPIURL checks an API base URL the user typed: http(s) with a host,
// and plain http only to this machine, so a token never crosses a network
// in clear text.
func CheckAPIURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrNotHTTPURL
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return ErrPlainHTTPRemote
	}
	return nil
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
