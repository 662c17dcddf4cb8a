package wise

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// Issue 13: a host that does not exist in DNS is final, not transient: it
// is not retried, and the error says the host could not be found.
func TestAHostNotInDNSIsNotRetried(t *testing.T) {
	t.Parallel()
	c := NewClient("https://no-such-host.invalid", nil)
	waits := recordWaits(c)
	_, err := c.ClientCredentials(context.Background(), "id", crypto.SecretString("secret"), time.Now())
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Skipf("this machine's resolver does not answer not-found for .invalid: %v", err)
	}
	if len(*waits) != 0 {
		t.Errorf("a host not in DNS was retried %d times: %v", len(*waits), err)
	}
	if errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "try again later") {
		t.Errorf("a host not in DNS is called transient: %v", err)
	}
	if !strings.Contains(err.Error(), "could not be reached") || strings.Contains(err.Error(), "x-trace-id") {
		t.Errorf("the error does not say the host could not be reached: %v", err)
	}
}

// Issue 13: a transport error says the host could not be reached over the
// network and names no x-trace-id (there is none without an answer).
func TestAClosedPortSaysTheHostCouldNotBeReached(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := NewClient("http://"+addr, nil)
	waits := recordWaits(c)
	_, err = c.ClientCredentials(context.Background(), "id", crypto.SecretString("secret"), time.Now())
	if !errors.Is(err, ErrUnavailable) || len(*waits) != 3 {
		t.Fatalf("a refused connection: %v after %d retries, want ErrUnavailable after 3", err, len(*waits))
	}
	if !strings.Contains(err.Error(), "could not be reached") || strings.Contains(err.Error(), "trace") {
		t.Errorf("the error does not say the host could not be reached (or names a trace id): %v", err)
	}
}
