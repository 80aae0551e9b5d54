package stack

import (
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/certificatemanager"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
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
	// The dualstack name answers both A and AAAA queries (only A ones for
	// an IPv4-only load balancer).
	dnsName := cloudformation.Sub("dualstack.${" + idLoadBalancer + ".DNSName}")
	zone := cloudformation.GetAtt(idLoadBalancer, "CanonicalHostedZoneID")
	records := map[string]string{idRecordIPv4: "A"}
	var ipv6Condition string
	switch {
	case inEnvironment(cfg):
		dnsName = cloudformation.Sub("dualstack.${" + ParamLoadBalancerDNSName + "}")
		zone = cloudformation.Ref(ParamLoadBalancerHostedZoneID)
		// Whether the environment's load balancer has IPv6 addresses is
		// the environment's setting, passed in as a parameter.
		records[idRecordIPv6] = "AAAA"
		ipv6Condition = condDualStackBalancer
		t.Conditions[condDualStackBalancer] = cloudformation.Equals(cloudformation.Ref(ParamLoadBalancerIPAddressType), "dualstack")
	case cfg.LoadBalancer.DualStack:
		// An IPv4-only load balancer has no IPv6 address to alias.
		records[idRecordIPv6] = "AAAA"
	}
	for id, recordType := range records {
		record := &route53.RecordSet{
			HostedZoneId: cloudformation.String(d.HostedZoneID),
			Name:         d.Name,
			Type:         recordType,
			AliasTarget: &route53.RecordSet_AliasTarget{
				DNSName:              dnsName,
				HostedZoneId:         zone,
				EvaluateTargetHealth: cloudformation.Bool(true),
			},
		}
		if recordType == "AAAA" {
			record.AWSCloudFormationCondition = ipv6Condition
		}
		if inEnvironment(cfg) {
			// The record sends clients to the shared listener within
			// seconds, while ACM takes minutes to issue the certificate:
			// until the listener has it, SNI answers with the listener's
			// default certificate, a name mismatch. Created after the
			// certificate is on the listener, and deleted before it comes
			// off (review 2, C1).
			record.AWSCloudFormationDependsOn = []string{idServiceCertificate}
		}
		t.Resources[id] = record
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
	if inEnvironment(cfg) {
		// A service in an environment always creates its certificate and
		// adds it to the environment's listener, whose SNI then serves it
		// for the domain. A certificate given by ARN could be the
		// listener's default one, which RemoveListenerCertificates refuses
		// to remove when the service is deleted.
		t.Resources[idCertificate].(*certificatemanager.Certificate).AWSCloudFormationCondition = ""
		t.Resources[idServiceCertificate] = &elb.ListenerCertificate{
			ListenerArn:  cloudformation.Ref(ParamListenerArn),
			Certificates: []elb.ListenerCertificate_Certificate{{CertificateArn: cloudformation.RefPtr(idCertificate)}},
		}
	}
}

// serviceURL is the URL users reach the service at.
func serviceURL(cfg Config) string {
	if cfg.Domain.Name != "" {
		return "https://" + strings.TrimSuffix(cfg.Domain.Name, ".")
	}
	if inEnvironment(cfg) {
		for _, h := range cfg.Environment.Hosts {
			if !strings.ContainsAny(h, "*?") {
				return "https://" + h + urlPath(cfg.Environment.Paths)
			}
		}
		return cloudformation.Sub("https://${" + ParamLoadBalancerDNSName + "}" + urlPath(cfg.Environment.Paths))
	}
	return cloudformation.Sub("https://${" + idLoadBalancer + ".DNSName}")
}

// urlPath is the first path of paths that a URL can show, its wildcards
// cut off: /api/* gives /api/.
func urlPath(paths []string) string {
	for _, p := range paths {
		if i := strings.IndexAny(p, "*?"); i >= 0 {
			p = p[:i]
		}
		if p != "" && !strings.ContainsAny(p, "$") {
			return p
		}
	}
	return ""
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
		// Keyed by the setting given, not the one missing: a label that
		// named both read as if both were missing (review1920 polish).
		v.addNeeds(KeyDomainName, []string{KeyHostedZoneID}, "%s needs the Route 53 hosted zone (Z...) that holds it, where the stack validates its certificate and writes its record", d.Name)
	case !hostedZonePatt.MatchString(d.HostedZoneID):
		v.add(KeyHostedZoneID, "%q is not a Route 53 hosted zone ID: expected uppercase letters and digits, e.g. Z0123456789ABCDEFGHIJ (without /hostedzone/)", d.HostedZoneID)
	}
}
