package deploy

// This file holds a SIMULATION of the CloudFormation Query API, for the stack
// lifecycles the moto emulator cannot produce: slow creates whose events
// arrive over time, resources that fail and roll back, circuit-breaker
// rollbacks, cancelled updates, busy stacks, throttling, 5xx answers and
// dropped connections. It is not CloudFormation: it implements only the
// actions and fields package deploy uses, and each test scripts what the
// stack does. What it does get exactly right is the wire format — form-encoded
// POST requests in, awsquery XML out, ErrorResponse documents with HTTP
// status codes — so the real SDK client, with its real retryer, talks to it.
//
// The same server also SIMULATES the reads of the ECS watcher (package
// watch): ECS and CloudWatch Logs in their JSON 1.1 protocol (POST with an
// X-Amz-Target header, JSON in and out, errors as {"__type", "message"})
// and Elastic Load Balancing v2's DescribeTargetHealth in the Query
// protocol, from a script of what the service does over time (see
// simECS in simulator_ecs_test.go). It is not ECS: tasks do not run, they
// appear stopped at the times a test scripts, with the reasons real ECS
// gives.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

const simNamespace = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// simulator is an httptest.Server on 127.0.0.1 that plays scripted stack
// operations. Scripts run on the real clock: each step is due a duration
// after the call that started the operation, and due steps are applied
// when the next request arrives, so the simulator needs no goroutines.
type simulator struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	stacks     []*simStack // every stack ever made, deleted ones included
	changeSets map[string]*simChangeSet
	executed   map[string]bool // ClientRequestTokens of executed change sets
	calls      []simCall
	seq        int

	// Knobs a test sets before it starts the deploy.
	eventPageSize  int           // events per DescribeStackEvents page
	changeSetDelay time.Duration // how long a change set stays CREATE_PENDING
	omitTokens     bool          // events carry no ClientRequestToken
	noChanges      bool          // change sets fail with "didn't contain changes"
	changes        []simChange   // what every change set reports
	outputs        []simOutput   // outputs of stacks that are *_COMPLETE
	onExecute      func(st *simStack, cs *simChangeSet) *script
	onDelete       func(st *simStack) *script
	onCancel       func(st *simStack) *script
	// stackResources is what ListStackResources answers for any stack.
	stackResources []simStackResource
	// faults are served, one per request and in order, to the requests
	// that arrive faultDelay or more after ExecuteChangeSet.
	faults      []fault
	faultDelay  time.Duration
	faultsFrom  time.Time
	faultServed int
	settledAt   time.Time // when the last stack operation settled
	// hang lists actions the server never answers: it holds each such
	// request until the client gives up or the test ends, as a server that
	// accepted the connection and went silent. onHold, if set, is called
	// (without the lock) when it starts holding one.
	hang   map[string]bool
	onHold func(action string)
	stop   chan struct{} // closed when the test ends, to release held requests
	// refuse lists actions answered with an API error instead.
	refuse map[string]simRefusal
	// ecs is the scripted ECS service, its targets and logs; nil answers
	// every ECS, Logs and ELB read with an error.
	ecs *simECS
	// staleReads is how many DescribeStacks calls after ExecuteChangeSet
	// are answered from before the execution, as an eventually consistent
	// read may be. The DescribeStackEvents call that follows a stale
	// DescribeStacks is stale too. staleServed counts them.
	staleReads  int
	staleServed int
	staleStack  *xmlStack // the stack as it was before ExecuteChangeSet
	staleEvents int       // how many events it had then
	lastStale   bool      // the last DescribeStacks answer was stale
}

// simRefusal is the API error an action in simulator.refuse answers with.
type simRefusal struct {
	status        int
	code, message string
}

type simCall struct {
	Action string
	Form   url.Values
	At     time.Time
}

type fault int

const (
	faultThrottle fault = iota // HTTP 400 Throttling: Rate exceeded
	faultInternal              // HTTP 500 InternalFailure
	faultHangUp                // hijack the connection and close it, no answer
)

type simStack struct {
	name, id              string
	status, reason        string
	created, updated      time.Time
	params                map[string]string
	tags                  map[string]string
	template              string // as submitted, for GetTemplate
	terminationProtection bool
	deleted               bool
	events                []simEvent // oldest first
	pending               []step     // due steps, in order
}

type simEvent struct {
	id, logicalID, physicalID, resType, status, reason, token string
	at                                                        time.Time
}

type simChangeSet struct {
	id, name, stackID, typ string
	created, readyAt       time.Time
	params                 url.Values
}

type simChange struct {
	action, logicalID, resType, replacement string
	recreate                                map[string]string // property -> Always/Conditionally/Never
}

type simOutput struct{ key, value string }

type simStackResource struct{ logicalID, resType, physicalID, status string }

// step is one event of a script; an empty logicalID is the stack's own
// event, which also sets the stack's status.
type step struct {
	at                                 time.Time
	logicalID, resType, status, reason string
	token                              string
	physicalID                         string // "" means logicalID-physical
}

// script builds the steps of an operation on a relative timeline.
type script struct {
	cursor time.Duration
	steps  []scriptStep
}

type scriptStep struct {
	after                              time.Duration
	logicalID, resType, status, reason string
	physicalID                         string
}

func newScript() *script { return &script{} }

// wait moves the timeline on by d.
func (s *script) wait(d time.Duration) *script { s.cursor += d; return s }

// stack adds a stack-level event, which sets the stack status.
func (s *script) stack(status, reason string) *script {
	s.steps = append(s.steps, scriptStep{after: s.cursor, status: status, reason: reason})
	return s
}

// res adds a resource event.
func (s *script) res(logicalID, resType, status, reason string) *script {
	s.steps = append(s.steps, scriptStep{after: s.cursor, logicalID: logicalID, resType: resType, status: status, reason: reason})
	return s
}

// resID adds a resource event with a physical ID, as CloudFormation reports
// once the resource exists (an ECS service's is its ARN).
func (s *script) resID(logicalID, resType, status, reason, physicalID string) *script {
	s.steps = append(s.steps, scriptStep{after: s.cursor, logicalID: logicalID, resType: resType, status: status, reason: reason, physicalID: physicalID})
	return s
}

func newSimulator(t testing.TB) *simulator {
	s := &simulator{
		t:              t,
		changeSets:     map[string]*simChangeSet{},
		executed:       map[string]bool{},
		eventPageSize:  100,
		changeSetDelay: 15 * time.Millisecond,
		stop:           make(chan struct{}),
	}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	// Cleanups run last first: held requests are released before Close,
	// which waits for every request to finish.
	t.Cleanup(func() { close(s.stop) })
	return s
}

// client is the real SDK client pointed at the simulator, with the
// package's retryer and a short backoff so retries do not slow the tests.
func (s *simulator) client() *cloudformation.Client {
	return cloudformation.New(cloudformation.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "secret", ""),
		Retryer: newRetryer(retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
			return 2 * time.Millisecond, nil
		})),
	})
}

// addStack puts a stack in place before the test, as an earlier deploy
// would have left it.
func (s *simulator) addStack(name, status string, params map[string]string) *simStack {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.newStack(name, status)
	for k, v := range params {
		st.params[k] = v
	}
	st.events = append(st.events, simEvent{
		id: s.nextID(name), logicalID: name, physicalID: st.id, resType: "AWS::CloudFormation::Stack",
		status: status, at: st.created, token: "earlier-operation",
	})
	return st
}

func (s *simulator) newStack(name, status string) *simStack {
	s.seq++
	now := time.Now()
	st := &simStack{
		name:    name,
		id:      fmt.Sprintf("arn:aws:cloudformation:us-east-1:123456789012:stack/%s/%08d-0000-0000-0000-000000000000", name, s.seq),
		status:  status,
		created: now.Add(-time.Hour),
		params:  map[string]string{},
		tags:    map[string]string{},
	}
	s.stacks = append(s.stacks, st)
	return st
}

func (s *simulator) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s-%06d", prefix, s.seq)
}

// run schedules a script on a stack, starting now, replacing whatever was
// still due.
func (s *simulator) run(st *simStack, sc *script, token string) {
	if s.omitTokens {
		token = ""
	}
	now := time.Now()
	st.pending = st.pending[:0]
	for _, ss := range sc.steps {
		st.pending = append(st.pending, step{at: now.Add(ss.after), logicalID: ss.logicalID, resType: ss.resType,
			status: ss.status, reason: ss.reason, token: token, physicalID: ss.physicalID})
	}
	s.advance(now)
}

// advance applies every step due by now.
func (s *simulator) advance(now time.Time) {
	for _, st := range s.stacks {
		for len(st.pending) > 0 && !st.pending[0].at.After(now) {
			s.apply(st, st.pending[0])
			st.pending = st.pending[1:]
		}
	}
}

func (s *simulator) apply(st *simStack, p step) {
	ev := simEvent{id: s.nextID(st.name), logicalID: p.logicalID, physicalID: p.logicalID + "-physical",
		resType: p.resType, status: p.status, reason: p.reason, token: p.token, at: p.at}
	if p.physicalID != "" {
		ev.physicalID = p.physicalID
	}
	if p.logicalID == "" {
		ev.logicalID, ev.physicalID, ev.resType = st.name, st.id, "AWS::CloudFormation::Stack"
		st.status, st.reason = p.status, p.reason
		if !strings.HasSuffix(p.status, "_IN_PROGRESS") {
			s.settledAt = p.at
		}
		if p.status == statusDeleteComplete {
			st.deleted = true
		}
	}
	st.events = append(st.events, ev)
}

// find returns the stack a StackName parameter names: an ID finds deleted
// stacks too, a name only the live one.
func (s *simulator) find(nameOrID string) *simStack {
	for i := len(s.stacks) - 1; i >= 0; i-- {
		st := s.stacks[i]
		if st.id == nameOrID || (st.name == nameOrID && !st.deleted) {
			return st
		}
	}
	return nil
}

func (s *simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveJSON(w, r, target)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	now := time.Now()
	action := r.PostForm.Get("Action")
	s.calls = append(s.calls, simCall{Action: action, Form: r.PostForm, At: now})
	if s.hang[action] {
		onHold := s.onHold
		s.mu.Unlock()
		if onHold != nil {
			onHold(action)
		}
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		return
	}
	defer s.mu.Unlock()
	if refusal, ok := s.refuse[action]; ok {
		s.fail(w, refusal.status, refusal.code, refusal.message)
		return
	}
	if r.PostForm.Get("Version") == elbVersion {
		s.serveELB(w, action, r.PostForm)
		return
	}
	if r.PostForm.Get("Version") != "2010-05-15" {
		s.fail(w, http.StatusBadRequest, "InvalidParameterValue", "missing Version")
		return
	}
	if !s.faultsFrom.IsZero() && !now.Before(s.faultsFrom) && s.faultServed < len(s.faults) {
		f := s.faults[s.faultServed]
		s.faultServed++
		switch f {
		case faultThrottle:
			s.fail(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		case faultInternal:
			s.fail(w, http.StatusInternalServerError, "InternalFailure", "We encountered an internal error. Please try again.")
		case faultHangUp:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				s.t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
		}
		return
	}
	s.advance(now)
	f := r.PostForm
	switch action {
	case "DescribeStacks":
		s.describeStacks(w, f)
	case "DescribeStackEvents":
		s.describeStackEvents(w, f)
	case "CreateChangeSet":
		s.createChangeSet(w, f)
	case "DescribeChangeSet":
		s.describeChangeSet(w, f)
	case "ExecuteChangeSet":
		s.executeChangeSet(w, f)
	case "DeleteChangeSet":
		s.deleteChangeSet(w, f)
	case "DeleteStack":
		s.deleteStack(w, f)
	case "CancelUpdateStack":
		s.cancelUpdateStack(w, f)
	case "UpdateTerminationProtection":
		s.updateTerminationProtection(w, f)
	case "ListStackResources":
		s.listStackResources(w, f)
	case "GetTemplate":
		s.getTemplate(w, f)
	default:
		s.fail(w, http.StatusBadRequest, "InvalidAction", "the simulator does not implement "+action)
	}
}

// XML shapes of the answers, named as the SDK's awsquery deserializer
// expects (see response_snapshot/*.snap in the SDK module).

type xmlStack struct {
	StackId                     string
	StackName                   string
	StackStatus                 string
	StackStatusReason           string `xml:",omitempty"`
	CreationTime                string
	LastUpdatedTime             string `xml:",omitempty"`
	EnableTerminationProtection bool
	Parameters                  []xmlParameter `xml:"Parameters>member"`
	Tags                        []xmlTag       `xml:"Tags>member"`
	Outputs                     []xmlOutput    `xml:"Outputs>member"`
}

type xmlTag struct{ Key, Value string }

type xmlParameter struct {
	ParameterKey   string
	ParameterValue string
}

type xmlOutput struct {
	OutputKey   string
	OutputValue string
	Description string
}

type xmlEvent struct {
	StackId              string
	EventId              string
	StackName            string
	LogicalResourceId    string
	PhysicalResourceId   string
	ResourceType         string
	Timestamp            string
	ResourceStatus       string
	ResourceStatusReason string `xml:",omitempty"`
	ClientRequestToken   string `xml:",omitempty"`
}

type xmlChange struct {
	Type           string
	ResourceChange xmlResourceChange
}

type xmlResourceChange struct {
	Action             string
	LogicalResourceId  string
	PhysicalResourceId string `xml:",omitempty"`
	ResourceType       string
	Replacement        string      `xml:",omitempty"`
	Details            []xmlDetail `xml:"Details>member"`
}

type xmlDetail struct {
	Evaluation   string
	ChangeSource string
	Target       xmlTarget
}

type xmlTarget struct {
	Attribute          string
	Name               string
	RequiresRecreation string
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *simulator) reply(w http.ResponseWriter, action string, result any) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, action, simNamespace)
	if err := xml.NewEncoder(&buf).EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
		s.t.Errorf("encode %s: %v", action, err)
	}
	id := s.nextID("req")
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, id, action)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", id)
	w.Write(buf.Bytes())
}

func (s *simulator) fail(w http.ResponseWriter, status int, code, message string) {
	kind := "Sender"
	if status >= 500 {
		kind = "Receiver"
	}
	var msg bytes.Buffer
	xml.EscapeText(&msg, []byte(message))
	id := s.nextID("req")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", id)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		simNamespace, kind, code, msg.String(), id)
}

func (s *simulator) notFound(w http.ResponseWriter, name string) {
	s.fail(w, http.StatusBadRequest, "ValidationError", "Stack with id "+name+" does not exist")
}

func (s *simulator) describeStacks(w http.ResponseWriter, f url.Values) {
	st := s.find(f.Get("StackName"))
	if st == nil {
		s.notFound(w, f.Get("StackName"))
		return
	}
	s.lastStale = s.staleStack != nil && s.staleServed < s.staleReads && s.staleStack.StackId == st.id
	if s.lastStale {
		s.staleServed++
		s.reply(w, "DescribeStacks", struct {
			Stacks []xmlStack `xml:"Stacks>member"`
		}{[]xmlStack{*s.staleStack}})
		return
	}
	s.reply(w, "DescribeStacks", struct {
		Stacks []xmlStack `xml:"Stacks>member"`
	}{[]xmlStack{s.stackXML(st)}})
}

func (s *simulator) stackXML(st *simStack) xmlStack {
	x := xmlStack{
		StackId: st.id, StackName: st.name, StackStatus: st.status, StackStatusReason: st.reason,
		CreationTime: stamp(st.created), EnableTerminationProtection: st.terminationProtection,
	}
	if !st.updated.IsZero() {
		x.LastUpdatedTime = stamp(st.updated)
	}
	keys := make([]string, 0, len(st.params))
	for k := range st.params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		x.Parameters = append(x.Parameters, xmlParameter{ParameterKey: k, ParameterValue: st.params[k]})
	}
	x.Tags = tagsXML(st.tags)
	if st.status == statusCreateComplete || st.status == statusUpdateComplete {
		for _, o := range s.outputs {
			x.Outputs = append(x.Outputs, xmlOutput{OutputKey: o.key, OutputValue: o.value, Description: "the " + o.key})
		}
	}
	return x
}

// describeStackEvents answers newest first, eventPageSize at a time. The
// NextToken names the last event returned, so pages stay stable while new
// events arrive, as CloudFormation's do.
func (s *simulator) describeStackEvents(w http.ResponseWriter, f url.Values) {
	st := s.find(f.Get("StackName"))
	if st == nil {
		s.notFound(w, f.Get("StackName"))
		return
	}
	start := len(st.events) - 1
	if s.lastStale && s.staleStack.StackId == st.id {
		start = s.staleEvents - 1
	}
	if tok := f.Get("NextToken"); tok != "" {
		start = -1
		for i, e := range st.events {
			if e.id == tok {
				start = i - 1
			}
		}
	}
	var page []xmlEvent
	i := start
	for ; i >= 0 && len(page) < s.eventPageSize; i-- {
		e := st.events[i]
		page = append(page, xmlEvent{
			StackId: st.id, EventId: e.id, StackName: st.name, LogicalResourceId: e.logicalID,
			PhysicalResourceId: e.physicalID, ResourceType: e.resType, Timestamp: stamp(e.at),
			ResourceStatus: e.status, ResourceStatusReason: e.reason, ClientRequestToken: e.token,
		})
	}
	next := ""
	if i >= 0 && len(page) > 0 {
		next = page[len(page)-1].EventId
	}
	s.reply(w, "DescribeStackEvents", struct {
		StackEvents []xmlEvent `xml:"StackEvents>member"`
		NextToken   string     `xml:",omitempty"`
	}{page, next})
}

func (s *simulator) createChangeSet(w http.ResponseWriter, f url.Values) {
	name, csName, typ := f.Get("StackName"), f.Get("ChangeSetName"), f.Get("ChangeSetType")
	st := s.find(name)
	switch {
	case typ == "CREATE" && st != nil && st.status != statusReviewInProgress:
		s.fail(w, http.StatusBadRequest, "AlreadyExistsException",
			fmt.Sprintf("Stack [%s] already exists and cannot be created again with the changeSet [%s].", name, csName))
		return
	case typ == "CREATE" && st == nil:
		st = s.newStack(name, statusReviewInProgress)
		st.created = time.Now()
		st.events = append(st.events, simEvent{id: s.nextID(name), logicalID: name, physicalID: st.id,
			resType: "AWS::CloudFormation::Stack", status: statusReviewInProgress, reason: "User Initiated", at: st.created})
	case typ != "CREATE" && st == nil:
		s.notFound(w, name)
		return
	case typ != "CREATE" && !updatable(st.status):
		s.fail(w, http.StatusBadRequest, "ValidationError",
			fmt.Sprintf("Stack:%s is in %s state and can not be updated.", st.id, st.status))
		return
	}
	for i := 1; f.Has(fmt.Sprintf("Parameters.member.%d.ParameterKey", i)); i++ {
		key := f.Get(fmt.Sprintf("Parameters.member.%d.ParameterKey", i))
		if f.Get(fmt.Sprintf("Parameters.member.%d.UsePreviousValue", i)) == "true" {
			if _, ok := st.params[key]; !ok || typ == "CREATE" {
				s.fail(w, http.StatusBadRequest, "ValidationError",
					"Invalid input for parameter key "+key+". Cannot specify usePreviousValue as true for a parameter key not in the previous template")
				return
			}
		}
	}
	now := time.Now()
	cs := &simChangeSet{
		id:      fmt.Sprintf("arn:aws:cloudformation:us-east-1:123456789012:changeSet/%s/%s", csName, s.nextID("cs")),
		name:    csName,
		stackID: st.id, typ: typ, created: now, readyAt: now.Add(s.changeSetDelay), params: f,
	}
	s.changeSets[cs.id] = cs
	s.reply(w, "CreateChangeSet", struct{ Id, StackId string }{cs.id, st.id})
}

func (s *simulator) describeChangeSet(w http.ResponseWriter, f url.Values) {
	cs := s.changeSets[f.Get("ChangeSetName")]
	if cs == nil {
		s.fail(w, http.StatusNotFound, "ChangeSetNotFound", "ChangeSet ["+f.Get("ChangeSetName")+"] does not exist")
		return
	}
	st := s.find(cs.stackID)
	type result struct {
		ChangeSetId     string
		ChangeSetName   string
		StackId         string
		StackName       string
		CreationTime    string
		Status          string
		StatusReason    string `xml:",omitempty"`
		ExecutionStatus string
		Parameters      []xmlParameter `xml:"Parameters>member"`
		Tags            []xmlTag       `xml:"Tags>member"`
		Changes         []xmlChange    `xml:"Changes>member"`
	}
	r := result{ChangeSetId: cs.id, ChangeSetName: cs.name, StackId: st.id, StackName: st.name,
		CreationTime: stamp(cs.created), Status: "CREATE_PENDING", ExecutionStatus: "UNAVAILABLE",
		Tags: tagsXML(formTags(cs.params))}
	// Like CloudFormation, the change set reports the values it uses, with
	// UsePreviousValue resolved.
	for k, v := range formParams(cs.params) {
		if v == "(previous)" {
			v = st.params[k]
		}
		r.Parameters = append(r.Parameters, xmlParameter{ParameterKey: k, ParameterValue: v})
	}
	sort.Slice(r.Parameters, func(i, j int) bool { return r.Parameters[i].ParameterKey < r.Parameters[j].ParameterKey })
	switch {
	case time.Now().Before(cs.readyAt):
	case s.noChanges:
		r.Status = "FAILED"
		r.StatusReason = "The submitted information didn't contain changes. Submit different information to create a change set."
	default:
		r.Status, r.ExecutionStatus = "CREATE_COMPLETE", "AVAILABLE"
		for _, c := range s.changes {
			x := xmlChange{Type: "Resource", ResourceChange: xmlResourceChange{
				Action: c.action, LogicalResourceId: c.logicalID, ResourceType: c.resType, Replacement: c.replacement,
			}}
			props := make([]string, 0, len(c.recreate))
			for p := range c.recreate {
				props = append(props, p)
			}
			sort.Strings(props)
			for _, p := range props {
				x.ResourceChange.Details = append(x.ResourceChange.Details, xmlDetail{
					Evaluation: "Static", ChangeSource: "DirectModification",
					Target: xmlTarget{Attribute: "Properties", Name: p, RequiresRecreation: c.recreate[p]},
				})
			}
			r.Changes = append(r.Changes, x)
		}
	}
	s.reply(w, "DescribeChangeSet", r)
}

func (s *simulator) executeChangeSet(w http.ResponseWriter, f url.Values) {
	// Like CloudFormation, a repeated call with the same token is the
	// same request: the SDK retries calls whose answer was lost.
	token := f.Get("ClientRequestToken")
	if token != "" && s.executed[token] {
		s.reply(w, "ExecuteChangeSet", struct{}{})
		return
	}
	cs := s.changeSets[f.Get("ChangeSetName")]
	if cs == nil || time.Now().Before(cs.readyAt) || s.noChanges {
		s.fail(w, http.StatusBadRequest, "InvalidChangeSetStatus", "ChangeSet is in an invalid status for execution")
		return
	}
	st := s.find(cs.stackID)
	if s.staleReads > 0 {
		stale := s.stackXML(st)
		s.staleStack, s.staleEvents = &stale, len(st.events)
	}
	delete(s.changeSets, cs.id)
	s.executed[token] = true
	if cs.typ == "UPDATE" {
		st.updated = time.Now()
	}
	for i := 1; cs.params.Has(fmt.Sprintf("Parameters.member.%d.ParameterKey", i)); i++ {
		key := cs.params.Get(fmt.Sprintf("Parameters.member.%d.ParameterKey", i))
		if cs.params.Get(fmt.Sprintf("Parameters.member.%d.UsePreviousValue", i)) != "true" {
			st.params[key] = cs.params.Get(fmt.Sprintf("Parameters.member.%d.ParameterValue", i))
		}
	}
	st.template, st.tags = cs.params.Get("TemplateBody"), formTags(cs.params)
	s.faultsFrom = time.Now().Add(s.faultDelay)
	if s.ecs != nil {
		s.ecs.begin(time.Now())
	}
	if s.onExecute == nil {
		s.t.Errorf("ExecuteChangeSet with no script")
	} else {
		s.run(st, s.onExecute(st, cs), f.Get("ClientRequestToken"))
	}
	s.reply(w, "ExecuteChangeSet", struct{}{})
}

func (s *simulator) deleteChangeSet(w http.ResponseWriter, f url.Values) {
	id := f.Get("ChangeSetName")
	if s.changeSets[id] == nil {
		s.fail(w, http.StatusNotFound, "ChangeSetNotFound", "ChangeSet ["+id+"] does not exist")
		return
	}
	delete(s.changeSets, id)
	s.reply(w, "DeleteChangeSet", struct{}{})
}

// deleteStack, like CloudFormation, succeeds for a stack that does not
// exist.
func (s *simulator) deleteStack(w http.ResponseWriter, f url.Values) {
	st := s.find(f.Get("StackName"))
	switch {
	case st == nil || st.deleted:
	case st.status == statusReviewInProgress:
		st.status, st.deleted = statusDeleteComplete, true
	default:
		sc := deleteScript(nil, 10*time.Millisecond)
		if s.onDelete != nil {
			sc = s.onDelete(st)
		}
		s.run(st, sc, f.Get("ClientRequestToken"))
	}
	s.reply(w, "DeleteStack", struct{}{})
}

func (s *simulator) cancelUpdateStack(w http.ResponseWriter, f url.Values) {
	st := s.find(f.Get("StackName"))
	if st == nil || st.status != statusUpdateInProgress {
		s.fail(w, http.StatusBadRequest, "ValidationError", "CancelUpdateStack cannot be called from current stack status")
		return
	}
	sc := newScript().stack("UPDATE_ROLLBACK_IN_PROGRESS", "Stack update cancelled").wait(10*time.Millisecond).
		stack(statusUpdateRollbackComplete, "")
	if s.onCancel != nil {
		sc = s.onCancel(st)
	}
	s.run(st, sc, f.Get("ClientRequestToken"))
	s.reply(w, "CancelUpdateStack", struct{}{})
}

func (s *simulator) updateTerminationProtection(w http.ResponseWriter, f url.Values) {
	st := s.find(f.Get("StackName"))
	if st == nil {
		s.notFound(w, f.Get("StackName"))
		return
	}
	st.terminationProtection = f.Get("EnableTerminationProtection") == "true"
	s.reply(w, "UpdateTerminationProtection", struct{ StackId string }{st.id})
}

func (s *simulator) getTemplate(w http.ResponseWriter, f url.Values) {
	st := s.find(f.Get("StackName"))
	if st == nil {
		s.notFound(w, f.Get("StackName"))
		return
	}
	s.reply(w, "GetTemplate", struct{ TemplateBody string }{st.template})
}

func (s *simulator) listStackResources(w http.ResponseWriter, f url.Values) {
	if s.find(f.Get("StackName")) == nil {
		s.notFound(w, f.Get("StackName"))
		return
	}
	type summary struct {
		LogicalResourceId    string
		PhysicalResourceId   string
		ResourceType         string
		ResourceStatus       string
		LastUpdatedTimestamp string
	}
	var out []summary
	for _, r := range s.stackResources {
		out = append(out, summary{r.logicalID, r.physicalID, r.resType, r.status, stamp(time.Now())})
	}
	s.reply(w, "ListStackResources", struct {
		StackResourceSummaries []summary `xml:"StackResourceSummaries>member"`
	}{out})
}

// seedEvents gives a stack n events of an earlier operation, older than
// any this test makes, as a long-lived stack has.
func (s *simulator) seedEvents(st *simStack, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := make([]simEvent, 0, n+len(st.events))
	for i := range n {
		old = append(old, simEvent{
			id: s.nextID(st.name), logicalID: fmt.Sprintf("Old%03d", i), physicalID: fmt.Sprintf("old-%03d", i),
			resType: "AWS::Logs::LogGroup", status: statusUpdateComplete, token: "earlier-operation",
			at: st.created.Add(-time.Duration(n-i) * time.Second),
		})
	}
	st.events = append(old, st.events...)
}

// Scripts of common operations.

type simResource struct{ id, typ string }

func resources(n int) []simResource {
	types := []string{"AWS::EC2::SecurityGroup", "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::ECS::Cluster",
		"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ECS::Service"}
	out := make([]simResource, n)
	for i := range out {
		out[i] = simResource{id: fmt.Sprintf("Resource%02d", i+1), typ: types[i%len(types)]}
	}
	return out
}

// createScript creates resources one after another, gap apart, each with
// the three events CloudFormation reports.
func createScript(res []simResource, gap time.Duration) *script {
	sc := newScript().stack("CREATE_IN_PROGRESS", "User Initiated")
	for _, r := range res {
		sc.wait(gap).res(r.id, r.typ, "CREATE_IN_PROGRESS", "").
			res(r.id, r.typ, "CREATE_IN_PROGRESS", "Resource creation Initiated").
			wait(gap).res(r.id, r.typ, "CREATE_COMPLETE", "")
	}
	return sc.wait(gap).stack(statusCreateComplete, "")
}

func updateScript(res []simResource, gap time.Duration) *script {
	sc := newScript().stack(statusUpdateInProgress, "User Initiated")
	for _, r := range res {
		sc.wait(gap).res(r.id, r.typ, statusUpdateInProgress, "").wait(gap).res(r.id, r.typ, statusUpdateComplete, "")
	}
	return sc.wait(gap).stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "").wait(gap).stack(statusUpdateComplete, "")
}

func deleteScript(res []simResource, gap time.Duration) *script {
	sc := newScript().stack(statusDeleteInProgress, "User Initiated")
	for _, r := range res {
		sc.wait(gap).res(r.id, r.typ, statusDeleteInProgress, "").wait(gap).res(r.id, r.typ, statusDeleteComplete, "")
	}
	return sc.wait(gap).stack(statusDeleteComplete, "")
}

// Inspection helpers for tests.

// locked runs f with the simulator locked, for tests that read or set its
// state while the server may be answering.
func (s *simulator) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *simulator) actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.Action
	}
	return out
}

func (s *simulator) callsTo(action string) []simCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []simCall
	for _, c := range s.calls {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// eventIDs lists the IDs of a stack's events that carry a token given by
// the deployer, oldest first.
func (s *simulator) eventIDs(st *simStack, keep func(simEvent) bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range st.events {
		if keep(e) {
			out = append(out, e.id)
		}
	}
	return out
}

func (s *simulator) stack(name string) *simStack {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.stacks) - 1; i >= 0; i-- {
		if s.stacks[i].name == name {
			return s.stacks[i]
		}
	}
	return nil
}

func (s *simulator) status(st *simStack) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(time.Now())
	return st.status
}

func formParams(f url.Values) map[string]string {
	out := map[string]string{}
	for i := 1; f.Has("Parameters.member." + strconv.Itoa(i) + ".ParameterKey"); i++ {
		p := "Parameters.member." + strconv.Itoa(i)
		v := f.Get(p + ".ParameterValue")
		if f.Get(p+".UsePreviousValue") == "true" {
			v = "(previous)"
		}
		out[f.Get(p+".ParameterKey")] = v
	}
	return out
}

func formTags(f url.Values) map[string]string {
	out := map[string]string{}
	for i := 1; f.Has("Tags.member." + strconv.Itoa(i) + ".Key"); i++ {
		p := "Tags.member." + strconv.Itoa(i)
		out[f.Get(p+".Key")] = f.Get(p + ".Value")
	}
	return out
}

func tagsXML(tags map[string]string) []xmlTag {
	var out []xmlTag
	for k, v := range tags {
		out = append(out, xmlTag{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
