package preflight

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// client sends signed requests of the two AWS protocols the checks need:
// EC2's query protocol (form in, XML out) and JSON 1.1 (Secrets Manager). It takes from the aws.Config what an SDK client would: the
// credentials, the region, the HTTP client, the retryer and the endpoint
// overrides.
type client struct {
	cfg aws.Config
	// endpoint, when not empty, is the endpoint of every service, as for
	// an emulator (--endpoint-url).
	endpoint string
	signer   *v4.Signer
	now      func() time.Time
}

func newClient(cfg aws.Config, endpoint string) *client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = awshttp.NewBuildableClient()
	}
	return &client{cfg: cfg, endpoint: endpoint, signer: v4.NewSigner(), now: time.Now}
}

// APIError is an error answer of an AWS API.
type APIError struct {
	// Action is the IAM action of the call, such as ec2:DescribeSubnets.
	Action     string
	Code       string
	Message    string
	StatusCode int
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s: %s (HTTP %d)", e.Action, e.Code, e.Message, e.StatusCode)
}

// ErrorCode, ErrorMessage and HTTPStatusCode are what the SDK's retryer
// reads to tell throttling and server errors, which it retries, from the
// rest (retry.DefaultRetryables).
func (e *APIError) ErrorCode() string    { return e.Code }
func (e *APIError) ErrorMessage() string { return e.Message }
func (e *APIError) HTTPStatusCode() int  { return e.StatusCode }

// endpointFor is the base URL of service in region: --endpoint-url, else
// the service's own AWS_ENDPOINT_URL_<SERVICE> or the shared
// AWS_ENDPOINT_URL (aws.Config.BaseEndpoint), as the SDK clients resolve
// them, else the regional endpoint, https://SERVICE.REGION.DNS-SUFFIX, with
// the partition's DNS suffix (amazonaws.com, amazonaws.com.cn, ...) as the
// SDK's endpoint rules give it.
func (c *client) endpointFor(ctx context.Context, service, envSuffix, region string) (string, error) {
	if c.endpoint != "" {
		return c.endpoint, nil
	}
	if !strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		if u := os.Getenv("AWS_ENDPOINT_URL_" + envSuffix); u != "" {
			return u, nil
		}
		if c.cfg.BaseEndpoint != nil {
			return *c.cfg.BaseEndpoint, nil
		}
	}
	suffix, err := dnsSuffix(ctx, region)
	if err != nil {
		return "", err
	}
	return "https://" + service + "." + region + "." + suffix, nil
}

// dnsSuffix is the DNS suffix of region's partition, read from the
// regional STS endpoint the SDK's rules give (sts.REGION.SUFFIX): the
// partitions live in the SDK, not here.
func dnsSuffix(ctx context.Context, region string) (string, error) {
	e, err := sts.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, sts.EndpointParameters{
		Region:            aws.String(region),
		UseGlobalEndpoint: aws.Bool(false),
		UseFIPS:           aws.Bool(false),
		UseDualStack:      aws.Bool(false),
	})
	if err != nil {
		return "", fmt.Errorf("no endpoint for region %q: %w", region, err)
	}
	suffix, ok := strings.CutPrefix(e.URI.Host, "sts."+region+".")
	if !ok {
		return "", fmt.Errorf("no endpoint for region %q: STS resolves to %s", region, e.URI.Host)
	}
	return suffix, nil
}

// request is one API call.
type request struct {
	action      string // the IAM action, service:Operation
	signingName string // the SigV4 service name
	endpointEnv string // the AWS_ENDPOINT_URL_ suffix of the service
	region      string
	contentType string
	target      string // X-Amz-Target, for JSON
	body        []byte
}

// do sends r, retrying as the configuration's retryer says, and returns
// the body of a 2xx answer, or an *APIError.
func (c *client) do(ctx context.Context, r request) ([]byte, error) {
	retryer := aws.Retryer(retry.NewStandard())
	if c.cfg.Retryer != nil {
		retryer = c.cfg.Retryer()
	}
	for attempt := 1; ; attempt++ {
		body, err := c.once(ctx, r)
		if err == nil || ctx.Err() != nil {
			return body, err
		}
		if attempt >= retryer.MaxAttempts() || !retryer.IsErrorRetryable(err) {
			return nil, err
		}
		delay, derr := retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// once sends r once.
func (c *client) once(ctx context.Context, r request) ([]byte, error) {
	base, err := c.endpointFor(ctx, r.signingName, r.endpointEnv, r.region)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/", bytes.NewReader(r.body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.action, err)
	}
	req.Header.Set("Content-Type", r.contentType)
	if r.target != "" {
		req.Header.Set("X-Amz-Target", r.target)
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: load AWS credentials: %w", r.action, err)
	}
	sum := sha256.Sum256(r.body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), r.signingName, r.region, c.now()); err != nil {
		return nil, fmt.Errorf("%s: sign the request: %w", r.action, err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.action, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: read the answer: %w", r.action, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, nil
	}
	apiErr := &APIError{Action: r.action, StatusCode: resp.StatusCode}
	if r.target == "" {
		apiErr.Code, apiErr.Message = queryError(body)
	} else {
		apiErr.Code, apiErr.Message = jsonError(resp.Header.Get("X-Amzn-ErrorType"), body)
	}
	if apiErr.Code == "" {
		apiErr.Code = http.StatusText(resp.StatusCode)
	}
	return nil, apiErr
}

// query calls an EC2 query-protocol action with params and decodes the XML
// answer into out.
func (c *client) query(ctx context.Context, action, region string, params url.Values, out any) error {
	form := url.Values{}
	for k, v := range params {
		form[k] = v
	}
	form.Set("Action", action)
	form.Set("Version", "2016-11-15")
	body, err := c.do(ctx, request{
		action: "ec2:" + action, signingName: "ec2", endpointEnv: "EC2", region: region,
		contentType: "application/x-www-form-urlencoded; charset=utf-8", body: []byte(form.Encode()),
	})
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(body, out); err != nil {
		return fmt.Errorf("ec2:%s: the answer does not decode: %w", action, err)
	}
	return nil
}

// jsonCall calls a JSON 1.1 operation and decodes the answer into out.
// service is the IAM and SigV4 name (secretsmanager), envSuffix the
// service's AWS_ENDPOINT_URL_ suffix and target its X-Amz-Target.
func (c *client) jsonCall(ctx context.Context, service, envSuffix, target, operation, region string, in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	body, err := c.do(ctx, request{
		action: service + ":" + operation, signingName: service, endpointEnv: envSuffix, region: region,
		contentType: "application/x-amz-json-1.1", target: target + "." + operation, body: raw,
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s:%s: the answer does not decode: %w", service, operation, err)
	}
	return nil
}

// queryError reads the code and message of an EC2 error answer:
// <Response><Errors><Error><Code/><Message/></Error></Errors></Response>.
func queryError(body []byte) (code, message string) {
	var e struct {
		Errors []struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Errors>Error"`
	}
	if xml.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return "", strings.TrimSpace(string(body))
	}
	return e.Errors[0].Code, e.Errors[0].Message
}

// jsonError reads the code and message of a JSON 1.1 error answer: the
// code is in the X-Amzn-ErrorType header or the body's __type, either
// possibly with a namespace (aws.foo#Code) or a suffix (Code:http://...).
func jsonError(header string, body []byte) (code, message string) {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &e)
	code = header
	if code == "" {
		code = e.Type
	}
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	message = e.Message
	if message == "" {
		message = e.MessageU
	}
	return code, message
}

// isCode reports whether err is an API error with one of codes, from these
// clients or the SDK's.
func isCode(err error, codes ...string) bool {
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) {
		return false
	}
	for _, c := range codes {
		if coded.ErrorCode() == c {
			return true
		}
	}
	return false
}

// Denied reports whether err is AWS refusing the caller a permission.
// EC2 answers UnauthorizedOperation; most JSON services
// AccessDeniedException.
func Denied(err error) bool {
	return isCode(err, "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "UnauthorizedException")
}
