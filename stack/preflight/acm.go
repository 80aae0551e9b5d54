package preflight

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ACMAPI is the part of the ACM API the checks read. *ACM implements it.
type ACMAPI interface {
	DescribeCertificate(ctx context.Context, arn string) (*Certificate, error)
}

// Certificate is what DescribeCertificate says of an ACM certificate.
type Certificate struct {
	CertificateArn          string
	DomainName              string
	SubjectAlternativeNames []string
	// Status is ISSUED, PENDING_VALIDATION, EXPIRED, REVOKED, FAILED,
	// INACTIVE or VALIDATION_TIMED_OUT.
	Status                  string
	DomainValidationOptions []DomainValidation
}

// DomainValidation is how ACM validates one of a certificate's names: with
// DNS, the CNAME record to add.
type DomainValidation struct {
	DomainName       string
	ValidationStatus string
	ValidationMethod string
	ResourceRecord   *struct{ Name, Type, Value string }
}

// ACM calls the ACM API through its JSON protocol.
type ACM struct {
	c      *client
	region string
}

// NewACM returns an ACM client for cfg's region; endpoint as for NewEC2.
func NewACM(cfg aws.Config, endpoint string) *ACM {
	return &ACM{c: newClient(cfg, endpoint), region: cfg.Region}
}

// DescribeCertificate describes the certificate arn. One that does not
// exist is an *APIError with Code ResourceNotFoundException.
func (a *ACM) DescribeCertificate(ctx context.Context, arn string) (*Certificate, error) {
	var out struct{ Certificate Certificate }
	if err := a.c.jsonCall(ctx, "acm", "ACM", "CertificateManager", "DescribeCertificate", a.region,
		map[string]string{"CertificateArn": arn}, &out); err != nil {
		return nil, err
	}
	return &out.Certificate, nil
}
