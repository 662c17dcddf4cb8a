package localwise

// RevokeClientTokens invalidates every client-credentials access token
// issued so far, as Wise may before they expire: a cached one then
// answers 401. User tokens and personal tokens stay valid.
func (s *Server) RevokeClientTokens() { s.tokens.revokeClientAccess() }

func (ts *tokenState) revokeClientAccess() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var gone []string
	for tok, at := range ts.access.m {
		if at.kind == kindClient {
			gone = append(gone, tok)
		}
	}
	for _, tok := range gone {
		ts.access.delete(tok)
	}
}
