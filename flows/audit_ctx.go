package flows

import "context"

// commandKey carries the name of the command a use case runs for, for the
// audit log: the agent serves many commands, so it cannot be a Service's.
type commandKey struct{}

// WithCommand returns ctx saying that the use cases run for command (the
// command line's words, "request" or "token"), as the audit log records.
func WithCommand(ctx context.Context, command string) context.Context {
	return context.WithValue(ctx, commandKey{}, command)
}

// CommandOf is the command ctx was given by WithCommand, or "".
func CommandOf(ctx context.Context) string {
	c, _ := ctx.Value(commandKey{}).(string)
	return c
}
