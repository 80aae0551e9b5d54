package operate

// This file holds a SIMULATION of the ECS and CloudWatch Logs JSON APIs,
// for what moto cannot produce: CloudWatch Logs Live Tail (an event stream
// moto lacks), tasks that stopped with exit codes and reasons, and ECS Exec
// sessions (moto has no ExecuteCommand). It is not AWS: each test scripts
// the answers to the operations it needs. What it gets right is the wire
// format — awsJson1.1 requests in, JSON or (for StartLiveTail) an AWS event
// stream out — so the real SDK clients talk to it.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/eventstream"
)

// simAnswer is a scripted answer: a JSON body, or an API error.
type simAnswer struct {
	body      any
	errorCode string
	status    int
	// stream, for StartLiveTail, is the events sent after the initial
	// response, each an event type and its JSON payload; the stream then
	// ends (or, with hold, stays open until the client goes away).
	stream []simEvent
	hold   bool
	// reply, when set, computes the body from the request, for an API
	// whose answer depends on what is asked (FilterLogEvents' startTime).
	reply func(in map[string]any) any
}

type simEvent struct {
	eventType string
	payload   any
	exception bool
}

// jsonSim answers awsJson1.1 operations by their name (the X-Amz-Target
// after the dot), and records every request.
type jsonSim struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	answers  map[string][]simAnswer // served in order; the last one repeats
	requests map[string][]map[string]any
}

func newJSONSim(t *testing.T) *jsonSim {
	s := &jsonSim{t: t, answers: map[string][]simAnswer{}, requests: map[string][]map[string]any{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// on scripts the answers of an operation.
func (s *jsonSim) on(operation string, answers ...simAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[operation] = answers
}

// sent returns the requests of an operation so far.
func (s *jsonSim) sent(operation string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.requests[operation]...)
}

func (s *jsonSim) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	operation := target[strings.LastIndex(target, ".")+1:]
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	s.mu.Lock()
	s.requests[operation] = append(s.requests[operation], in)
	queue := s.answers[operation]
	var a simAnswer
	switch len(queue) {
	case 0:
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"UnknownOperationException","message":"not simulated: ` + operation + `"}`))
		return
	case 1:
		a = queue[0]
	default:
		a, s.answers[operation] = queue[0], queue[1:]
	}
	s.mu.Unlock()
	switch {
	case a.errorCode != "":
		status := a.status
		if status == 0 {
			status = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": a.errorCode, "message": "simulated " + a.errorCode})
	case operation == "StartLiveTail":
		s.liveTail(w, r, a)
	case a.reply != nil:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(a.reply(in))
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(a.body)
	}
}

// liveTail writes an event stream as CloudWatch Logs does: an
// initial-response message, then one message per event (:message-type
// event, :event-type sessionStart or sessionUpdate, a JSON payload).
func (s *jsonSim) liveTail(w http.ResponseWriter, r *http.Request, a simAnswer) {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	enc := eventstream.NewEncoder()
	write := func(headers eventstream.Headers, payload any) {
		data, _ := json.Marshal(payload)
		var buf bytes.Buffer
		if err := enc.Encode(&buf, eventstream.Message{Headers: headers, Payload: data}); err != nil {
			s.t.Errorf("encode event: %v", err)
		}
		w.Write(buf.Bytes())
		w.(http.Flusher).Flush()
	}
	write(eventstream.Headers{
		{Name: ":message-type", Value: eventstream.StringValue("event")},
		{Name: ":event-type", Value: eventstream.StringValue("initial-response")},
		{Name: ":content-type", Value: eventstream.StringValue("application/json")},
	}, map[string]any{})
	for _, e := range a.stream {
		kind, typeHeader := "event", ":event-type"
		if e.exception {
			kind, typeHeader = "exception", ":exception-type"
		}
		write(eventstream.Headers{
			{Name: ":message-type", Value: eventstream.StringValue(kind)},
			{Name: typeHeader, Value: eventstream.StringValue(e.eventType)},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
		}, e.payload)
	}
	if a.hold {
		<-r.Context().Done()
	}
}

// simClients are SDK clients of ECS and CloudWatch Logs that talk to the
// simulator.
func (s *jsonSim) clients() Clients {
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	return Clients{
		ECS: ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL), Credentials: creds, RetryMaxAttempts: 1}),
		Logs: cloudwatchlogs.New(cloudwatchlogs.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL), Credentials: creds,
			RetryMaxAttempts: 1}),
		Region: "us-east-1",
	}
}
