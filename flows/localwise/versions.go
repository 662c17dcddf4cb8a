package localwise

import "net/http"

// Wise is moving to quarterly path versions: /2026Q3/oauth/token is the
// token endpoint of version 2026Q3 (wise-auth.md §1a). Wise does not say how
// versions differ on these endpoints, so every version answers exactly as
// the unversioned path does; a client whose settings carry a version prefix
// meets the same server. A malformed prefix is a path Wise does not serve.

// versionWildcard names the first path segment of a versioned route.
const versionWildcard = "apiVersion"

// versioned serves h for a well-formed version prefix and 404s otherwise.
func versioned(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !validVersion(r.PathValue(versionWildcard)) {
			notFound(w, r)
			return
		}
		h(w, r)
	}
}

// validVersion reports whether v has the shape YYYYQn: four digits, a
// capital Q and a quarter from 1 to 4.
func validVersion(v string) bool {
	if len(v) != 6 || v[4] != 'Q' || v[5] < '1' || v[5] > '4' {
		return false
	}
	for i := range 4 {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}
