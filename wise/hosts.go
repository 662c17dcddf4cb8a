package wise

// Hosts are the addresses of one Wise environment (reference/wise-auth.md
// §1). An entry in the wallet keeps its own copy, so a change here never
// silently moves an existing credential.
type Hosts struct {
	API       string // the API base URL
	Authorize string // the OAuth authorization page
	MTLS      string // the API base URL for mTLS calls
	Web       string // the web app, where users manage tokens and apps
}

// DeveloperHub is where partners manage their OAuth applications,
// certificates and keys.
func (h Hosts) DeveloperHub() string { return h.Web + "/developer-hub" }

// Sandbox is the current "V2" sandbox.
func Sandbox() Hosts {
	return Hosts{
		API:       "https://api.wise-sandbox.com",
		Authorize: "https://wise-sandbox.com/oauth/authorize/",
		MTLS:      "https://api-mtls.wise-sandbox.com",
		Web:       "https://wise-sandbox.com",
	}
}

// Production is Wise itself.
func Production() Hosts {
	return Hosts{
		API:       "https://api.wise.com",
		Authorize: "https://wise.com/oauth/authorize/",
		MTLS:      "https://api-mtls.transferwise.com",
		Web:       "https://wise.com",
	}
}
