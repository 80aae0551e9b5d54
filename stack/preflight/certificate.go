package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
)

// CertificateUse is a certificate the load balancer is about to serve.
type CertificateUse struct {
	// Field is its parameter: CertificateArn, or CertificateArn2 and up
	// for the extra ones.
	Field string
	ARN   string
	// Domain, when not empty, is a name the certificate must cover.
	Domain string
}

// checkCertificate checks that use's certificate exists in the region, is
// issued, and covers its domain. A certificate still PENDING_VALIDATION
// names the DNS records ACM waits for.
func checkCertificate(ctx context.Context, api ACMAPI, region string, use CertificateUse, rep *Report) {
	out, err := api.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(use.ARN)})
	switch {
	case isCode(err, "ResourceNotFoundException"):
		rep.problem(use.Field, nil, "certificate %s does not exist in ACM in %s: give the ARN of a certificate of this account and Region (aws acm list-certificates lists them)", use.ARN, region)
		return
	case isCode(err, "InvalidArnException", "ValidationException"):
		rep.problem(use.Field, nil, "ACM does not accept %s as a certificate ARN", use.ARN)
		return
	case err != nil:
		rep.unread("the certificate "+use.ARN, err)
		return
	}
	cert := out.Certificate
	if cert == nil {
		rep.unread("the certificate "+use.ARN, fmt.Errorf("acm:DescribeCertificate answered no certificate"))
		return
	}
	switch cert.Status {
	case acmtypes.CertificateStatusIssued:
	case acmtypes.CertificateStatusPendingValidation:
		var records []string
		for _, v := range cert.DomainValidationOptions {
			if v.ValidationStatus == acmtypes.DomainStatusSuccess {
				continue
			}
			if r := v.ResourceRecord; r != nil && aws.ToString(r.Name) != "" {
				records = append(records, fmt.Sprintf("%s record %s with the value %s (for %s)", r.Type, aws.ToString(r.Name), aws.ToString(r.Value), aws.ToString(v.DomainName)))
			} else if v.ValidationMethod == acmtypes.ValidationMethodEmail {
				records = append(records, "the approval email ACM sent for "+aws.ToString(v.DomainName))
			}
		}
		how := "validate its domain"
		if len(records) > 0 {
			how = "add the " + strings.Join(records, ", and the ") + " to the domain's DNS"
		}
		rep.problem(use.Field, nil, "certificate %s is still PENDING_VALIDATION, and the load balancer can serve only an ISSUED one: %s, wait until ACM issues it (aws acm wait certificate-validated --certificate-arn %s --region %s), and deploy again",
			use.ARN, how, use.ARN, region)
		return
	default:
		rep.problem(use.Field, nil, "certificate %s is %s, and the load balancer can serve only an ISSUED one: renew it, or request or import another", use.ARN, cert.Status)
		return
	}
	if use.Domain != "" && !covers(cert, use.Domain) {
		names := append([]string{aws.ToString(cert.DomainName)}, cert.SubjectAlternativeNames...)
		rep.problem(use.Field, []string{"domain-name"}, "certificate %s covers %s, not %s: browsers would refuse the connection; give a certificate for %s",
			use.ARN, strings.Join(unique(names), ", "), use.Domain, use.Domain)
	}
}

// covers reports whether cert is valid for domain: one of its names is the
// domain, or a wildcard *.parent that stands for exactly one label of it
// ("A wildcard name ... protects only one subdomain level", ACM User Guide,
// "Wildcard names").
func covers(cert *acmtypes.CertificateDetail, domain string) bool {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	for _, name := range append([]string{aws.ToString(cert.DomainName)}, cert.SubjectAlternativeNames...) {
		name = strings.ToLower(strings.TrimSuffix(name, "."))
		if name == domain {
			return true
		}
		if parent, ok := strings.CutPrefix(name, "*."); ok {
			if label, rest, found := strings.Cut(domain, "."); found && label != "" && rest == parent {
				return true
			}
		}
	}
	return false
}

func unique(items []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range items {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
