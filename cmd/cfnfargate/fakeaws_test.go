package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeCloudFormation is an endpoint that knows one stack, shop, in
// CREATE_COMPLETE: it answers DescribeStacks (awsquery XML, as the SDK
// expects) and records every request, so that a test can prove what a
// command asked for and that it deleted nothing.
type fakeCloudFormation struct {
	URL string
	mu  sync.Mutex
	// requests are "Action StackName", in order.
	requests []string
}

func newFakeCloudFormation(t *testing.T) *fakeCloudFormation {
	t.Helper()
	f := &fakeCloudFormation{}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeCloudFormation) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action, name := r.PostForm.Get("Action"), r.PostForm.Get("StackName")
	if target := r.Header.Get("X-Amz-Target"); action == "" && target != "" {
		action = target[strings.LastIndex(target, ".")+1:] // a JSON API's, such as SSM's
	}
	f.mu.Lock()
	f.requests = append(f.requests, action+" "+name)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	switch {
	case action == "DescribeStacks" && name == "shop":
		fmt.Fprint(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>`+
			`<StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1</StackId><StackName>shop</StackName>`+
			`<StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00.000Z</CreationTime>`+
			`</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`)
	case action == "DescribeStacks":
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>`+
			`<Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>2</RequestId></ErrorResponse>`, name)
	case action == "ListStackResources" && name == "shop":
		// The blue/green checks of deploy read the resources first.
		fmt.Fprint(w, `<ListStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ListStackResourcesResult><StackResourceSummaries/>`+
			`</ListStackResourcesResult><ResponseMetadata><RequestId>4</RequestId></ResponseMetadata></ListStackResourcesResponse>`)
	case action == "ListStackResources":
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>`+
			`<Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>2</RequestId></ErrorResponse>`, name)
	case action == "GetCallerIdentity":
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::123456789012:user/test</Arn><UserId>AIDATEST</UserId><Account>123456789012</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the fake does not answer %s</Message></Error></ErrorResponse>`, action)
	}
}

// Requests returns the requests so far, as "Action StackName".
func (f *fakeCloudFormation) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}
