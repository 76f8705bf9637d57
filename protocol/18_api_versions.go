package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ApiVersions: v0-3 (Kafka 2.8)
//
// Behaviour:
//   - Answered by the protocol package itself from the handler registry, so what we advertise
//     is exactly what we serve (Kafka's ApiVersionsResponse.apiVersionsResponse for a ZK broker).
//   - A version newer than v3 never reaches this handler: the connection answers it with a v0
//     UNSUPPORTED_VERSION response listing only ApiVersions' own range (KIP-511).
//   - The response always travels with response header v0, even at v3.
//   - v3 requests name the client software; a name or version that does not match
//     [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? gets INVALID_REQUEST and no API list.
//
// Version notes:
//   - v1: ThrottleMillis.
//   - v3: flexible; ClientSoftwareName/Version; tagged SupportedFeatures (empty in 2.8),
//     FinalizedFeaturesEpoch (-1: no /feature node finalized) and FinalizedFeatures (empty).
func init() {
	register(handler{Key: 18, MinVersion: 0, MaxVersion: 3, Func: handleApiVersions})
}

func handleApiVersions(_ context.Context, _ Services, _ *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.ApiVersionsRequest)
	if req.Version >= 3 && (!validSoftwareField(req.ClientSoftwareName) || !validSoftwareField(req.ClientSoftwareVersion)) {
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.Version = req.Version
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp, nil
	}
	return apiVersionsResponse(req.Version, false), nil
}

// validSoftwareField applies ApiVersionsRequest.isValid's pattern without a regexp.
func validSoftwareField(s string) bool {
	alnum := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if s == "" || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !alnum(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}
