// Package flows holds wisewallet's use cases, free of any UI: adding and
// listing credentials, the Wise environments, and (as they arrive) the
// OAuth logins, token refresh, SCA, mTLS and JOSE flows. Both the command
// line and the terminal app call these functions, so a behaviour is
// implemented once and tested once.
//
// flows talks to wallet/ for storage and crypto/ for keys. It never
// prints, prompts or exits: input arrives as arguments, output leaves as
// values and errors.
package flows
