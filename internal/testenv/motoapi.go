package testenv

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// authorization builds a SigV4-shaped Authorization header. moto does not
// check signatures, but it routes a request to a service, and picks the
// region, from the credential scope ("testing/DATE/REGION/SERVICE/aws4_request";
// moto/moto_server/werkzeug_app.py). Without it moto guesses from the body and
// sends EC2 and ACM calls to its S3 backend, which answers ListBuckets.
func (m *Moto) authorization(service string) string {
	return authorizationIn(m.Region, service)
}

// authorizationIn is authorization for a request to region.
func authorizationIn(region, service string) string {
	return fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/%s/%s/aws4_request, SignedHeaders=host, Signature=0", region, service)
}

// queryVersion is the API version the query protocol needs in every request.
// For elasticloadbalancing it also picks the API: moto answers 2015-12-01 as
// ELBv2 and 2012-06-01 as classic ELB (moto/elb/urls.py).
func queryVersion(service string) (string, bool) {
	switch service {
	case "ec2":
		return "2016-11-15", true
	case "elasticloadbalancing":
		return "2015-12-01", true
	case "iam":
		return "2010-05-08", true
	case "cloudformation":
		return "2010-05-15", true
	case "monitoring":
		return "2010-08-01", true
	}
	return "", false
}

// jsonTargetPrefix is the X-Amz-Target prefix of a JSON-protocol service.
func jsonTargetPrefix(service string) (string, bool) {
	switch service {
	case "ecs":
		return "AmazonEC2ContainerServiceV20141113", true
	case "acm":
		return "CertificateManager", true
	case "logs":
		return "Logs_20140328", true
	case "ecr":
		return "AmazonEC2ContainerRegistry_V20150921", true
	case "ssm":
		return "AmazonSSM", true
	case "secretsmanager":
		return "secretsmanager", true
	}
	return "", false
}

// Query calls a query-protocol action and returns the XML response body.
// service is the SigV4 signing name: "ec2", "elasticloadbalancing" (ELBv2),
// "iam" or "cloudformation". params may be nil; Action and Version are
// filled in, and a Version already in params wins. The test fails on a
// transport error or a non-2xx answer, showing moto's body.
func (m *Moto) Query(t testing.TB, service, action string, params url.Values) []byte {
	t.Helper()
	return m.QueryIn(t, m.Region, service, action, params)
}

// QueryIn is Query in another region than m.Region: moto keeps each
// region's resources apart, and gives each its own default VPC.
func (m *Moto) QueryIn(t testing.TB, region, service, action string, params url.Values) []byte {
	t.Helper()
	form := url.Values{}
	for k, v := range params {
		form[k] = append([]string(nil), v...)
	}
	form.Set("Action", action)
	if form.Get("Version") == "" {
		version, ok := queryVersion(service)
		if !ok {
			t.Fatalf("moto query %s %s: no API version known for this service; pass Version in params", service, action)
		}
		form.Set("Version", version)
	}
	body, err := m.doIn(region, service, "application/x-www-form-urlencoded; charset=utf-8", "", []byte(form.Encode()))
	// moto_server answers requests on threads that share its dicts: a
	// List or Describe that iterates one while another test's request
	// adds to it fails with a 500 (dictionary changed size during
	// iteration). That is moto's limit, not an answer; a read is asked
	// again.
	for try := 1; err != nil && try < 4 && isRead(action) && strings.HasPrefix(err.Error(), "500 "); try++ {
		time.Sleep(time.Duration(try) * 50 * time.Millisecond)
		body, err = m.doIn(region, service, "application/x-www-form-urlencoded; charset=utf-8", "", []byte(form.Encode()))
	}
	if err != nil {
		t.Fatalf("moto query %s %s: %v", service, action, err)
	}
	return body
}

// isRead reports whether a Query action only reads.
func isRead(action string) bool {
	for _, prefix := range []string{"List", "Describe", "Get"} {
		if strings.HasPrefix(action, prefix) {
			return true
		}
	}
	return false
}

// CreateECSRole creates the account's ECS service-linked role,
// AWSServiceRoleForECS, as IAM names it, so that a deploy finds it and
// waits for no new role. A role that exists already (another test of a
// shared server made it) is fine.
func (m *Moto) CreateECSRole(t testing.TB) {
	t.Helper()
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"AWSServiceRoleForECS"}, "Path": {"/aws-service-role/ecs.amazonaws.com/"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	_, err := m.do("iam", "application/x-www-form-urlencoded; charset=utf-8", "", []byte(form.Encode()))
	if err != nil && !strings.Contains(err.Error(), "EntityAlreadyExists") && !strings.Contains(err.Error(), "409") {
		t.Fatalf("moto: create the ECS service-linked role: %v", err)
	}
}

// JSONIn is JSON in another region than m.Region.
func (m *Moto) JSONIn(t testing.TB, region, service, target string, in, out any) {
	t.Helper()
	m.json(t, region, service, target, in, out)
}

// JSON calls a JSON-protocol (application/x-amz-json-1.1) operation. service
// is the SigV4 signing name: "ecs", "acm" or "logs". target is the operation,
// e.g. "DescribeCertificate", and gets the service's X-Amz-Target prefix; a
// target that already holds a dot is sent as is. in is marshalled as the
// request (nil sends {}); the response is unmarshalled into out unless out is
// nil. The test fails on a transport error or a non-2xx answer, showing
// moto's body.
func (m *Moto) JSON(t testing.TB, service, target string, in, out any) {
	t.Helper()
	m.json(t, m.Region, service, target, in, out)
}

func (m *Moto) json(t testing.TB, region, service, target string, in, out any) {
	t.Helper()
	if !strings.Contains(target, ".") {
		prefix, ok := jsonTargetPrefix(service)
		if !ok {
			t.Fatalf("moto json %s %s: no X-Amz-Target prefix known for this service; pass the full target", service, target)
		}
		target = prefix + "." + target
	}
	req := []byte("{}")
	if in != nil {
		var err error
		if req, err = json.Marshal(in); err != nil {
			t.Fatalf("moto json %s: marshal request: %v", target, err)
		}
	}
	body, err := m.doIn(region, service, "application/x-amz-json-1.1", target, req)
	if err != nil {
		t.Fatalf("moto json %s: %v", target, err)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("moto json %s: decode response: %v\n%s", target, err, body)
		}
	}
}

// Get calls a REST operation with GET, such as S3's GetBucketEncryption
// ("s3", "/BUCKET?encryption", path style), and returns the response body.
// The test fails on a transport error or a non-2xx answer, showing moto's
// body.
func (m *Moto) Get(t testing.TB, service, path string) []byte {
	t.Helper()
	body, err := m.request(m.Region, http.MethodGet, path, service, "", "", nil)
	if err != nil {
		t.Fatalf("moto GET %s %s: %v", service, path, err)
	}
	return body
}

// do POSTs one request to moto and returns the body of a 2xx answer.
func (m *Moto) do(service, contentType, target string, body []byte) ([]byte, error) {
	return m.doIn(m.Region, service, contentType, target, body)
}

// doIn is do for a request to region.
func (m *Moto) doIn(region, service, contentType, target string, body []byte) ([]byte, error) {
	return m.request(region, http.MethodPost, "/", service, contentType, target, body)
}

// request sends one request to moto, signed for region, and returns the
// body of a 2xx answer.
func (m *Moto) request(region, method, path, service, contentType, target string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(method, m.Endpoint+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", authorizationIn(region, service))
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send request: %w", err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return respBody, fmt.Errorf("%s:\n%s", resp.Status, respBody)
	}
	return respBody, nil
}

// XMLValues returns the text of every element named element (matched on the
// local name, ignoring namespaces) in body, in document order of their end
// tags. It is meant for picking IDs out of query-protocol responses, e.g.
// every LoadBalancerArn. Malformed XML ends the scan; the values found so far
// are returned.
func XMLValues(body []byte, element string) []string {
	var values []string
	// One entry per open element: a buffer when it is a match, nil otherwise.
	var open []*strings.Builder
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			// io.EOF ends a well-formed document; anything else is malformed
			// XML, and the caller notices the values it expected are missing.
			return values
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			var b *strings.Builder
			if tok.Name.Local == element {
				b = &strings.Builder{}
			}
			open = append(open, b)
		case xml.CharData:
			if len(open) > 0 && open[len(open)-1] != nil {
				open[len(open)-1].Write(tok)
			}
		case xml.EndElement:
			if len(open) == 0 {
				return values
			}
			if b := open[len(open)-1]; b != nil {
				values = append(values, strings.TrimSpace(b.String()))
			}
			open = open[:len(open)-1]
		}
	}
}

// Call is Query for a caller that is not a test goroutine (the behavioural
// twin's engine, say): it returns the error instead of failing a test. The
// service must be one Query knows the API version of, or params must carry
// Version.
func (m *Moto) Call(service, action string, params url.Values) ([]byte, error) {
	form := url.Values{}
	for k, v := range params {
		form[k] = append([]string(nil), v...)
	}
	form.Set("Action", action)
	if form.Get("Version") == "" {
		version, ok := queryVersion(service)
		if !ok {
			return nil, fmt.Errorf("moto query %s %s: no API version known for this service; pass Version in params", service, action)
		}
		form.Set("Version", version)
	}
	body, err := m.do(service, "application/x-www-form-urlencoded; charset=utf-8", "", []byte(form.Encode()))
	if err != nil {
		return body, fmt.Errorf("moto %s %s: %w", service, action, err)
	}
	return body, nil
}

// CallJSON is JSON for a caller that is not a test goroutine: target is the
// full X-Amz-Target (or an operation of a service JSON knows the prefix of).
func (m *Moto) CallJSON(service, target string, in, out any) error {
	if !strings.Contains(target, ".") {
		prefix, ok := jsonTargetPrefix(service)
		if !ok {
			return fmt.Errorf("moto json %s %s: no X-Amz-Target prefix known; pass the full target", service, target)
		}
		target = prefix + "." + target
	}
	req := []byte("{}")
	if in != nil {
		var err error
		if req, err = json.Marshal(in); err != nil {
			return fmt.Errorf("moto json %s: marshal request: %w", target, err)
		}
	}
	body, err := m.do(service, "application/x-amz-json-1.1", target, req)
	if err != nil {
		return fmt.Errorf("moto json %s: %w", target, err)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("moto json %s: decode response: %w", target, err)
		}
	}
	return nil
}
