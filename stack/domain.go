package stack

import (
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/certificatemanager"
	"github.com/awslabs/goformation/v7/cloudformation/route53"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// addDomain points the custom domain at the load balancer with an alias A
// record (and AAAA for a dual-stack load balancer), and creates a DNS-validated certificate for it when the
// CertificateArn parameter is left empty.
func addDomain(t *cloudformation.Template, cfg Config) {
	d := cfg.Domain
	if d.Name == "" {
		return
	}
	records := map[string]string{idRecordIPv4: "A"}
	if cfg.LoadBalancer.DualStack {
		// An IPv4-only load balancer has no IPv6 address to alias.
		records[idRecordIPv6] = "AAAA"
	}
	for id, recordType := range records {
		t.Resources[id] = &route53.RecordSet{
			HostedZoneId: cloudformation.String(d.HostedZoneID),
			Name:         d.Name,
			Type:         recordType,
			AliasTarget: &route53.RecordSet_AliasTarget{
				// The dualstack name answers both A and AAAA queries (only A
				// ones for an IPv4-only load balancer).
				DNSName:              cloudformation.Sub("dualstack.${" + idLoadBalancer + ".DNSName}"),
				HostedZoneId:         cloudformation.GetAtt(idLoadBalancer, "CanonicalHostedZoneID"),
				EvaluateTargetHealth: cloudformation.Bool(true),
			},
		}
	}

	t.Resources[idCertificate] = &certificatemanager.Certificate{
		DomainName:       strings.TrimSuffix(d.Name, "."),
		ValidationMethod: cloudformation.String("DNS"),
		// With the hosted zone given, CloudFormation writes the validation
		// record itself; the stack waits until ACM issues the certificate.
		DomainValidationOptions: []certificatemanager.Certificate_DomainValidationOption{{
			DomainName:   strings.TrimSuffix(d.Name, "."),
			HostedZoneId: cloudformation.String(d.HostedZoneID),
		}},
		Tags:                       resourceTags(cfg),
		AWSCloudFormationCondition: condCreateCertificate,
	}
}

// serviceURL is the URL users reach the service at.
func serviceURL(cfg Config) string {
	if cfg.Domain.Name != "" {
		return "https://" + strings.TrimSuffix(cfg.Domain.Name, ".")
	}
	return cloudformation.Sub("https://${" + idLoadBalancer + ".DNSName}")
}

// Validation of these settings, called from Config.Validate.

var (
	domainLabel    = lazyregexp.New(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostedZonePatt = lazyregexp.New(`^[A-Z0-9]{1,32}$`)
)

func (v *validator) domain(d Domain) {
	if d.Name == "" {
		return // a hosted zone alone has no effect; see Warnings
	}
	name := strings.TrimSuffix(d.Name, ".")
	labels := strings.Split(name, ".")
	valid := len(name) <= 253 && len(labels) >= 2
	for _, l := range labels {
		if !domainLabel.MatchString(l) {
			valid = false
		}
	}
	switch {
	case !valid:
		v.add(KeyDomainName, "%q is not a fully qualified domain name: use lowercase labels of letters, digits and hyphens, e.g. app.example.com", d.Name)
	case len(name) > 64:
		// The stack may create the certificate, and ACM limits a
		// certificate's domain name to 64 characters.
		v.add(KeyDomainName, "%q is %d characters long: an ACM certificate's domain name allows up to 64", d.Name, len(name))
	}
	switch {
	case d.HostedZoneID == "":
		v.addCross(KeyHostedZoneID, []string{KeyDomainName}, "is required with domain-name %s: the Route 53 hosted zone (Z...) that holds it", d.Name)
	case !hostedZonePatt.MatchString(d.HostedZoneID):
		v.add(KeyHostedZoneID, "%q is not a Route 53 hosted zone ID: expected uppercase letters and digits, e.g. Z0123456789ABCDEFGHIJ (without /hostedzone/)", d.HostedZoneID)
	}
}
