package copilot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

const (
	listenerARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2"
	certDefault = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
	certShop    = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000002"
	certWild    = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000003"
	certLast    = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000004"
)

// copilotStacks answers DescribeStacks for a Copilot service stack and its
// environment stack, as Copilot tags and names them.
type copilotStacks struct{}

func (copilotStacks) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	switch aws.ToString(in.StackName) {
	case "shop-prod-api":
		return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{{
			StackId: aws.String("arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-prod-api/1"),
			Tags: []cftypes.Tag{{Key: aws.String("copilot-application"), Value: aws.String("shop")},
				{Key: aws.String("copilot-environment"), Value: aws.String("prod")}, {Key: aws.String("copilot-service"), Value: aws.String("api")}},
			Parameters: []cftypes.Parameter{{ParameterKey: aws.String("ContainerImage"), ParameterValue: aws.String("nginx:1")}},
		}}}, nil
	case "shop-prod":
		return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{{Outputs: []cftypes.Output{
			{OutputKey: aws.String("VpcId"), OutputValue: aws.String("vpc-1")},
			{OutputKey: aws.String("HTTPSListenerArn"), OutputValue: aws.String(listenerARN)},
		}}}}, nil
	}
	return nil, errors.New("no such stack")
}

// pagedListener answers DescribeListenerCertificates one page at a time,
// by Marker, as the ELB API reference documents it: NextMarker while more
// results remain, and the default certificate listed twice, once with
// IsDefault true and once with it false.
type pagedListener struct {
	pages [][]elbtypes.Certificate
	calls int
}

func (l *pagedListener) DescribeListenerCertificates(_ context.Context, in *elbv2.DescribeListenerCertificatesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenerCertificatesOutput, error) {
	l.calls++
	if aws.ToString(in.ListenerArn) != listenerARN {
		return nil, errors.New("ListenerNotFound")
	}
	page := 0
	if m := aws.ToString(in.Marker); m != "" {
		page = int(m[len(m)-1] - '0')
	}
	out := &elbv2.DescribeListenerCertificatesOutput{Certificates: l.pages[page]}
	if page+1 < len(l.pages) {
		out.NextMarker = aws.String("marker-" + string(rune('0'+page+1)))
	}
	return out, nil
}

func cert(arn string, def bool) elbtypes.Certificate {
	return elbtypes.Certificate{CertificateArn: aws.String(arn), IsDefault: aws.Bool(def)}
}

// names answers DescribeCertificate with each certificate's domain name
// and subject alternative names (ACM API reference, CertificateDetail).
type names map[string][]string

func (n names) DescribeCertificate(_ context.Context, in *acm.DescribeCertificateInput, _ ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error) {
	list, ok := n[aws.ToString(in.CertificateArn)]
	if !ok {
		return nil, errors.New("AccessDeniedException: not authorized to perform acm:DescribeCertificate")
	}
	return &acm.DescribeCertificateOutput{Certificate: &acmtypes.CertificateDetail{DomainName: aws.String(list[0]), SubjectAlternativeNames: list}}, nil
}

// TestReadDeployedPagesCertificates proves ReadDeployed lists every
// certificate of the listener, through every page, each once, the default
// first, and takes the default until an alias says otherwise (F14: it read
// one page and took whichever certificate came last without IsDefault).
func TestReadDeployedPagesCertificates(t *testing.T) {
	listener := &pagedListener{pages: [][]elbtypes.Certificate{
		{cert(certShop, false), cert(certDefault, true)},
		{cert(certDefault, false), cert(certWild, false)},
		{cert(certLast, false)},
	}}
	d, err := ReadDeployed(context.Background(), copilotStacks{}, listener, "shop-prod-api")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{certDefault, certShop, certWild, certLast}; !slices.Equal(d.Certificates, want) {
		t.Errorf("certificates %q, want %q", d.Certificates, want)
	}
	if listener.calls != 3 {
		t.Errorf("%d calls, want one per page (3)", listener.calls)
	}
	if d.CertificateARN != certDefault {
		t.Errorf("certificate %s, want the default %s", d.CertificateARN, certDefault)
	}
}

// TestPickCertificate proves the certificate the config takes covers the
// service's alias, as the listener serves it by SNI, with exact names,
// wildcards of one level, and alternative names; and that without an
// alias, or with none that covers it, the default stays and a note says
// why.
func TestPickCertificate(t *testing.T) {
	acmNames := names{
		certDefault: {"app.example.org"},
		certShop:    {"shop.example.com", "www.shop.example.com"},
		certWild:    {"*.example.com"},
		certLast:    {"example.net"},
	}
	all := []string{certDefault, certShop, certWild, certLast}
	tests := []struct {
		name    string
		aliases []string
		api     CertificateAPI
		want    string
		note    string // "" when no note is due
	}{
		{"exact name", []string{"shop.example.com"}, acmNames, certShop, ""},
		{"case and a trailing dot", []string{"Shop.Example.COM."}, acmNames, certShop, ""},
		{"an alternative name", []string{"www.shop.example.com"}, acmNames, certShop, ""},
		{"a wildcard of one level", []string{"api.example.com"}, acmNames, certWild, ""},
		{"one that covers every alias wins", []string{"shop.example.com", "www.shop.example.com"}, acmNames, certShop, ""},
		{"the first alias decides, and the others are noted", []string{"api.example.com", "www.shop.example.com"}, acmNames, certWild, "not every alias"},
		{"a wildcard covers no deeper level", []string{"a.b.example.com"}, acmNames, certDefault, "none of the 4 certificate(s)"},
		{"a wildcard does not cover the apex", []string{"example.com"}, acmNames, certDefault, "none of the 4 certificate(s)"},
		{"no alias keeps the default", nil, acmNames, certDefault, "no alias to choose by"},
		{"ACM refuses", []string{"shop.example.com"}, names{}, certDefault, "acm:DescribeCertificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Deployed{EnvironmentStack: "shop-prod", Certificates: all, CertificateARN: certDefault}
			d.PickCertificate(context.Background(), tt.api, tt.aliases)
			if d.CertificateARN != tt.want {
				t.Errorf("certificate %s, want %s", d.CertificateARN, tt.want)
			}
			notes := strings.Join(d.Notes, "\n")
			if (tt.note == "") != (notes == "") || !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q, want one with %q", notes, tt.note)
			}
		})
	}
}
