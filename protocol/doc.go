// Package protocol is the broker's network layer and request dispatch, the Go counterpart of
// Kafka 2.8's kafka.network.SocketServer and RequestChannel (listeners, framing, one in-flight
// request per connection, responses in order), kafka.server.KafkaApis (one handler per API key,
// here one file per key named NN_name.go) and
// org.apache.kafka.common.requests.ApiVersionsResponse (the advertised API list, built from the
// handler registry).
//
// Wire codecs come from franz-go's kmsg; this package only reads the request header (kbin) and
// writes the response header. Handlers do the validation the wire alone allows, delegate to the
// broker through Services, and make sure every response is well formed before it is encoded.
//
// Buffer ownership: a request is decoded with kmsg's ReadFrom, which copies strings but leaves
// byte fields (record batches, group metadata, assignments) pointing into the frame. The
// connection reuses its read buffer only for request types without byte fields, or whose handler
// declares BorrowsBytes (Produce: Services.Produce must not keep the record bytes after it
// returns). Responses are encoded into pooled buffers that go back to the pool only after the
// write finished.
//
// Client is the small inter-broker client (controller channel, replica fetchers).
package protocol
