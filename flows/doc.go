// Package flows is wisewallet's application API, free of any UI: the use
// cases both the command line and the terminal app call (adding and
// listing credentials, the OAuth logins, token refresh and its renewer,
// breach handling), so a behaviour is implemented once and tested once.
//
// New wraps an unlocked wallet in a Service. What a front end gets back
// are views without secret values (EntryView: a secret shows as its name
// and length); a clear value only comes from an explicit call (Reveal,
// AccessToken). kinds.go says, per kind of entry, what expires, how it
// renews, what revoking means at Wise and how it is described. Errors are
// typed and carry what fixes them as fields; front ends word them.
//
// flows talks to wise/ for Wise, wallet/ for storage and crypto/ for
// keys. It never prints, prompts or exits: input arrives as arguments,
// output leaves as values and errors.
package flows
