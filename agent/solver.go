package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// tunnelSolver is the client's SCASolver seen from the agent: each
// question is a frame to the client, each answer a frame back. The PIN
// and codes are typed at the client's terminal and used here once.
type tunnelSolver struct{ c *conn }

func (t *tunnelSolver) ask(ctx context.Context, r response) (answer, error) {
	if err := t.c.send(r); err != nil {
		return answer{}, fmt.Errorf("%w: the client is gone: %w", flows.ErrSCAInterrupted, err)
	}
	select {
	case a := <-t.c.answers:
		if a.Kind != kindAnswer {
			return answer{}, fmt.Errorf("%w: the client answered a %q frame", flows.ErrSCAInterrupted, a.Kind)
		}
		if a.Failed != "" && a.Interrupted {
			return answer{}, fmt.Errorf("%w: %s", flows.ErrSCAInterrupted, a.Failed)
		}
		if a.Failed != "" {
			// As the client's solver said it, so the words of the call's
			// error are the ones the command gives in-process.
			return answer{}, errors.New(a.Failed)
		}
		return a, nil
	case <-ctx.Done():
		return answer{}, fmt.Errorf("%w: %w", flows.ErrSCAInterrupted, ctx.Err())
	}
}

func (t *tunnelSolver) Choose(ctx context.Context, ch flows.SCAChallengeView) (flows.SCAFactor, error) {
	a, err := t.ask(ctx, response{Kind: kindChoose, Challenge: &ch})
	return a.Factor, err
}

func (t *tunnelSolver) PIN(ctx context.Context, attemptsLeft int) (crypto.Secret, error) {
	a, err := t.ask(ctx, response{Kind: kindPIN, AttemptsLeft: attemptsLeft})
	return crypto.SecretString(a.Secret), err
}

func (t *tunnelSolver) OTP(ctx context.Context, channel flows.SCAFactor, phone string) (crypto.Secret, error) {
	a, err := t.ask(ctx, response{Kind: kindOTP, Channel: channel, Phone: phone})
	return crypto.SecretString(a.Secret), err
}

func (t *tunnelSolver) Progress(_ context.Context, ev flows.SCAEvent) {
	e := eventBody{Kind: ev.Kind, Factor: ev.Factor, Status: ev.Status, Phone: ev.Phone, AttemptsLeft: ev.AttemptsLeft,
		Until: ev.Until, Key: ev.Key, HTTPStatus: ev.HTTPStatus, Result: ev.Result}
	if ev.Err != nil {
		// Flows' errors name inputs and Wise's answers, never a PIN or code.
		e.Err = ev.Err.Error()
	}
	_ = t.c.send(response{Kind: kindProgress, Event: &e})
}

// eventOf is the SCAEvent of a progress frame, at the client.
func eventOf(e eventBody) flows.SCAEvent {
	ev := flows.SCAEvent{Kind: e.Kind, Factor: e.Factor, Status: e.Status, Phone: e.Phone, AttemptsLeft: e.AttemptsLeft,
		Until: e.Until, Key: e.Key, HTTPStatus: e.HTTPStatus, Result: e.Result}
	if e.Err != "" {
		ev.Err = errors.New(e.Err)
	}
	return ev
}
