package stack

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/tags"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// MinSubnets returns how many different public and private subnets cfg
// needs. "You must specify subnets from at least two Availability Zones"
// for an Application Load Balancer (ELB API reference,
// CreateLoadBalancer): the public ones, or the private ones when it is
// internal. Both subnet parameters are lists that CloudFormation
// requires, so the other list needs one.
func (c Config) MinSubnets() (public, private int) {
	if c.LoadBalancer.Internal {
		return 1, 2
	}
	return 2, 1
}

// addLoadBalancer adds the ALB (internet-facing in the public subnets, or
// internal in the private ones), its security group, the HTTP listener that
// redirects to HTTPS, the HTTPS listener, the target group the service
// registers its tasks in, and the optional WAF association. A service in an
// environment gets only its target group and a listener rule on the
// environment's load balancer (addRouting).
func addLoadBalancer(t *cloudformation.Template, cfg Config) {
	if inEnvironment(cfg) {
		addRouting(t, cfg)
		return
	}
	addSharedLoadBalancer(t, cfg, elb.Listener_Action{
		Type:           "forward",
		TargetGroupArn: cloudformation.RefPtr(targetGroupID(cfg)),
	})
	addLoadBalancerToTasks(t, cfg, cloudformation.GetAtt(idLoadBalancerSG, "GroupId"))
	addTargetGroup(t, cfg)
}

// addSharedLoadBalancer adds what a load balancer of its own and an
// environment's have alike: the security group, the load balancer, both
// listeners (the HTTPS one with defaultAction), the extra certificates and
// the WAF association.
func addSharedLoadBalancer(t *cloudformation.Template, cfg Config, defaultAction elb.Listener_Action) {
	lb := cfg.LoadBalancer
	t.Resources[idLoadBalancerSG] = &ec2.SecurityGroup{
		GroupDescription:     loadBalancerSGDescription,
		VpcId:                cloudformation.RefPtr(ParamVpcID),
		SecurityGroupIngress: loadBalancerIngress(lb, listenerPorts(cfg), cfg.AllowsHTTPOnly()),
		// The only real egress is a separate rule: LoadBalancerToTasksEgress,
		// or an environment's LoadBalancerToServicesEgress.
		SecurityGroupEgress: noEgress(),
		Tags:                resourceTags(cfg),
	}

	scheme, subnets := "internet-facing", ParamPublicSubnetIDs
	if lb.Internal {
		scheme, subnets = "internal", ParamPrivateSubnetIDs
	}
	var ipAddressType *string
	if lb.DualStack {
		ipAddressType = cloudformation.String("dualstack")
	}
	t.Resources[idLoadBalancer] = override(&elb.LoadBalancer{
		Type:                   cloudformation.String("application"),
		Scheme:                 cloudformation.String(scheme),
		IpAddressType:          ipAddressType,
		SecurityGroups:         []string{cloudformation.GetAtt(idLoadBalancerSG, "GroupId")},
		LoadBalancerAttributes: loadBalancerAttributes(cfg),
		Tags:                   resourceTags(cfg),
		// ELB writes a test file when access logs are turned on, and fails
		// with "Access Denied for bucket" while the bucket's policy does not
		// let it (ELB user guide, "Enable access logs for your Application
		// Load Balancer", step 4 and troubleshooting).
		AWSCloudFormationDependsOn: accessLogsBucketPolicy(t, cfg),
	}, map[string]any{
		"Subnets": cloudformation.Ref(subnets),
	})

	redirect := elb.Listener_Action{
		Type: "redirect",
		RedirectConfig: &elb.Listener_RedirectConfig{
			Protocol:   cloudformation.String("HTTPS"),
			Port:       cloudformation.String("443"),
			Host:       cloudformation.String("#{host}"),
			Path:       cloudformation.String("/#{path}"),
			Query:      cloudformation.String("#{query}"),
			StatusCode: "HTTP_301",
		},
	}
	var httpListener cloudformation.Resource = &elb.Listener{
		LoadBalancerArn: cloudformation.Ref(idLoadBalancer),
		Port:            cloudformation.Int(80),
		Protocol:        cloudformation.String("HTTP"),
		DefaultActions:  []elb.Listener_Action{redirect},
	}
	if cfg.AllowsHTTPOnly() {
		// Without a certificate the HTTP listener does what the HTTPS one
		// would: it forwards. A stack updated with a certificate gets the
		// HTTPS listener and this listener redirects to it; both are
		// updates in place (DefaultActions is mutable), so the load
		// balancer and its DNS name stay.
		listener := httpListener.(*elb.Listener)
		// The redirect waits for the HTTPS listener it sends clients to:
		// an update that adds a certificate creates that listener first,
		// so port 80 never redirects to a port nobody listens on. Metadata
		// holds the conditional Ref, as DependsOn cannot (see Service).
		listener.AWSCloudFormationMetadata = map[string]any{
			"RedirectsTo": cloudformation.If(condHasCertificate, cloudformation.Ref(idHTTPSListener), cloudformation.Ref("AWS::NoValue")),
		}
		httpListener = override(listener, map[string]any{
			"DefaultActions": []any{cloudformation.If(condHasCertificate, redirect, defaultAction)},
		})
	}
	t.Resources[idHTTPListener] = httpListener

	certificate := cloudformation.Ref(ParamCertificateArn)
	if cfg.Domain.Name != "" && !inEnvironment(cfg) {
		certificate = cloudformation.If(condCreateCertificate, cloudformation.Ref(idCertificate), cloudformation.Ref(ParamCertificateArn))
	}
	https := &elb.Listener{
		LoadBalancerArn: cloudformation.Ref(idLoadBalancer),
		Port:            cloudformation.Int(443),
		Protocol:        cloudformation.String("HTTPS"),
		SslPolicy:       cloudformation.String(lb.SSLPolicy),
		Certificates:    []elb.Listener_Certificate{{CertificateArn: &certificate}},
		DefaultActions:  []elb.Listener_Action{defaultAction},
	}
	if cfg.AllowsHTTPOnly() {
		// "You must specify exactly one certificate" for an HTTPS
		// listener (ELB API reference, CreateListener): without one there
		// is no HTTPS listener.
		https.AWSCloudFormationCondition = condHasCertificate
	}
	t.Resources[idHTTPSListener] = https

	// The listener's Certificates holds the default certificate only
	// ("You must specify exactly one certificate", ELB API reference,
	// CreateListener); the others go in its certificate list, from which SNI
	// picks the one that matches the requested host, one certificate per
	// ListenerCertificate resource (its Certificates property: "You can
	// specify one certificate per resource", CloudFormation reference).
	for n := 1; n <= lb.ExtraCertificates; n++ {
		extra := &elb.ListenerCertificate{
			ListenerArn:  cloudformation.Ref(idHTTPSListener),
			Certificates: []elb.ListenerCertificate_Certificate{{CertificateArn: cloudformation.RefPtr(ExtraCertificateParam(n))}},
		}
		if cfg.AllowsHTTPOnly() {
			extra.AWSCloudFormationCondition = condHasCertificate
		}
		t.Resources[extraCertificateID(n)] = extra
	}

	addWebACL(t, cfg)

	if cfg.Hardened {
		// A hardened load balancer listens for HTTPS only, with no port 80
		// listener at all: auditors' tools flag a plain-HTTP listener even
		// when all it does is redirect (ELB.18).
		delete(t.Resources, idHTTPListener)
	}
}

// AllowsHTTPOnly reports whether c's template lets its load balancer
// serve HTTP only, when the CertificateArn parameter is empty: a service
// with a load balancer of its own, no domain, and not hardened. With a
// domain an empty CertificateArn creates a certificate instead, an
// environment's listener always serves HTTPS, and a hardened load
// balancer serves HTTPS only (ELB.1, ELB.18), so that its template
// requires a certificate.
func (c Config) AllowsHTTPOnly() bool {
	return c.Domain.Name == "" && !inEnvironment(c) && !c.Hardened
}

// productionListener is the listener a service's own load balancer serves
// its traffic on: the HTTPS one, or with AllowsHTTPOnly the HTTP one when
// there is no certificate.
func productionListener(cfg Config) string {
	if cfg.AllowsHTTPOnly() {
		return cloudformation.If(condHasCertificate, cloudformation.Ref(idHTTPSListener), cloudformation.Ref(idHTTPListener))
	}
	return cloudformation.Ref(idHTTPSListener)
}

// listenerPorts are the ports the load balancer listens on: 80, which
// redirects to HTTPS (or with AllowsHTTPOnly and no certificate serves
// HTTP), and 443; 443 only when hardened.
func listenerPorts(cfg Config) []int {
	if cfg.Hardened {
		return []int{443}
	}
	return []int{80, 443}
}

// noEgress is the inline egress of a security group that sends nothing by
// itself. A security group without inline egress rules gets an allow-all
// rule from EC2; this rule matches no traffic and makes EC2 drop the
// default. The CDK does the same for allowAllOutbound: false.
func noEgress() []ec2.SecurityGroup_Egress {
	return []ec2.SecurityGroup_Egress{{
		CidrIp:      cloudformation.String("255.255.255.255/32"),
		Description: cloudformation.String("Disallow all traffic"),
		IpProtocol:  "icmp",
		FromPort:    cloudformation.Int(252),
		ToPort:      cloudformation.Int(86),
	}}
}

// addLoadBalancerToTasks lets the load balancer's security group, given as
// group, reach the tasks on the container port: a load balancer of the
// service's own (an environment's reaches every service through one rule,
// addServicesSecurityGroup). The load balancer's group allows no other
// egress.
func addLoadBalancerToTasks(t *cloudformation.Template, cfg Config, group string) {
	// Separate rule resources, not inline rules: inline rules in both
	// groups that name each other would be a circular dependency.
	t.Resources[idLoadBalancerToTasks] = &ec2.SecurityGroupEgress{
		GroupId:                    group,
		Description:                cloudformation.String("To the tasks on the container port"),
		IpProtocol:                 "tcp",
		FromPort:                   cloudformation.Int(cfg.Container.Port),
		ToPort:                     cloudformation.Int(cfg.Container.Port),
		DestinationSecurityGroupId: cloudformation.GetAttPtr(idTaskSG, "GroupId"),
	}
}

// addTargetGroup adds the target group the service registers its tasks in.
func addTargetGroup(t *cloudformation.Template, cfg Config) {
	hc := cfg.HealthCheck
	tg := &elb.TargetGroup{
		// Fargate tasks in awsvpc mode register by IP address, not instance.
		TargetType: cloudformation.String("ip"),
		Protocol:   cloudformation.String("HTTP"),
		// Port is create-only: tying it to the container port would replace
		// the target group on a port change, and the listener would forward
		// to an empty group until new tasks pass their checks, minutes of
		// 503s. It is only a default: ECS registers each task with the
		// container port of the service's LoadBalancers entry, and the
		// health check uses traffic-port, the port a target registered with
		// (ELB API reference, RegisterTargets and HealthCheckPort).
		Port:                       cloudformation.Int(targetGroupPort),
		VpcId:                      cloudformation.RefPtr(ParamVpcID),
		HealthCheckProtocol:        cloudformation.String("HTTP"),
		HealthCheckPath:            cloudformation.String(hc.Path),
		HealthCheckIntervalSeconds: cloudformation.Int(hc.Interval),
		HealthCheckTimeoutSeconds:  cloudformation.Int(hc.Timeout),
		HealthyThresholdCount:      cloudformation.Int(hc.HealthyThreshold),
		UnhealthyThresholdCount:    cloudformation.Int(hc.UnhealthyThreshold),
		Matcher:                    &elb.TargetGroup_Matcher{HttpCode: cloudformation.String(hc.Matcher)},
		TargetGroupAttributes:      targetGroupAttributes(cfg.LoadBalancer),
		Tags:                       resourceTags(cfg),
	}
	if inEnvironment(cfg) {
		// The environment finds its services through the target groups its
		// listener rules forward to (ListenerRule has no tags).
		tg.Tags = append(tg.Tags, tags.Tag{Key: TagServiceStack, Value: cloudformation.Ref("AWS::StackName")})
	}
	t.Resources[targetGroupID(cfg)] = tg
}

// maxExtraCertificates is the ALB quota "Certificates per Application Load
// Balancer (not counting default certificates): 25".
const maxExtraCertificates = 25

func extraCertificateID(n int) string { return idExtraCertificates + strconv.Itoa(n) }

// targetGroupPort is the target group's fixed default port.
const targetGroupPort = 80

// loadBalancerSGDescription is the same whatever the sources:
// GroupDescription is create-only, and a description that named them would
// replace the group, and both rules that refer to it, when --allow-cidr is
// turned on or off, with a moment of 5xx errors while the load balancer
// moves to the new group.
const loadBalancerSGDescription = "Load balancer: HTTP and HTTPS in, out only to the tasks"

// loadBalancerIngress opens the listeners' ports to the allowed networks,
// or to all of IPv4 and IPv6. With httpOnly (AllowsHTTPOnly) the
// description of port 80 follows the condition: it is the same as before
// with a certificate, so that no rule changes.
func loadBalancerIngress(lb LoadBalancer, ports []int, httpOnly bool) []ec2.SecurityGroup_Ingress {
	sources := lb.AllowCIDRs
	if len(sources) == 0 {
		sources = []string{"0.0.0.0/0", "::/0"}
	}
	var rules []ec2.SecurityGroup_Ingress
	for _, port := range ports {
		description := "HTTPS"
		if port == 80 {
			description = "HTTP, redirected to HTTPS"
			if httpOnly {
				description = cloudformation.If(condHasCertificate, description, "HTTP")
			}
		}
		for _, cidr := range sources {
			rule := ec2.SecurityGroup_Ingress{
				IpProtocol:  "tcp",
				FromPort:    cloudformation.Int(port),
				ToPort:      cloudformation.Int(port),
				Description: cloudformation.String(description),
			}
			if strings.Contains(cidr, ":") {
				rule.CidrIpv6 = cloudformation.String(cidr)
			} else {
				rule.CidrIp = cloudformation.String(cidr)
			}
			rules = append(rules, rule)
		}
	}
	return rules
}

func loadBalancerAttributes(cfg Config) []elb.LoadBalancer_LoadBalancerAttribute {
	lb := cfg.LoadBalancer
	attrs := [][2]string{
		// Drop requests with header names that are not valid HTTP, so they
		// cannot smuggle headers past the app (request smuggling).
		{"routing.http.drop_invalid_header_fields.enabled", "true"},
	}
	if cfg.DeletionProtection {
		attrs = append(attrs, [2]string{"deletion_protection.enabled", "true"})
	}
	if bucket := accessLogsBucket(cfg); bucket != "" {
		// The bucket policy must let ELB's log delivery write (the one the
		// stack creates: accesslogs.go); see "Enable access logs for your
		// Application Load Balancer".
		attrs = append(attrs,
			[2]string{"access_logs.s3.enabled", "true"},
			[2]string{"access_logs.s3.bucket", bucket})
		if lb.AccessLogs.Prefix != "" {
			attrs = append(attrs, [2]string{"access_logs.s3.prefix", lb.AccessLogs.Prefix})
		}
	}
	if cfg.Hardened {
		// ELB.12 passes defensive, ELB's default, and strictest: written
		// out, so that the template says which one the load balancer has.
		attrs = append(attrs, [2]string{"routing.http.desync_mitigation_mode", "defensive"})
	}
	if lb.IdleTimeout != 0 {
		attrs = append(attrs, [2]string{"idle_timeout.timeout_seconds", strconv.Itoa(lb.IdleTimeout)})
	}
	if lb.DisableHTTP2 {
		attrs = append(attrs, [2]string{"routing.http2.enabled", "false"})
	}
	out := make([]elb.LoadBalancer_LoadBalancerAttribute, len(attrs))
	for i, a := range attrs {
		out[i] = elb.LoadBalancer_LoadBalancerAttribute{Key: cloudformation.String(a[0]), Value: cloudformation.String(a[1])}
	}
	return out
}

func targetGroupAttributes(lb LoadBalancer) []elb.TargetGroup_TargetGroupAttribute {
	attrs := [][2]string{
		{"deregistration_delay.timeout_seconds", strconv.Itoa(lb.DeregistrationDelay)},
	}
	if lb.Stickiness != 0 {
		attrs = append(attrs,
			[2]string{"stickiness.enabled", "true"},
			[2]string{"stickiness.type", "lb_cookie"},
			[2]string{"stickiness.lb_cookie.duration_seconds", strconv.Itoa(lb.Stickiness)})
	}
	out := make([]elb.TargetGroup_TargetGroupAttribute, len(attrs))
	for i, a := range attrs {
		out[i] = elb.TargetGroup_TargetGroupAttribute{Key: cloudformation.String(a[0]), Value: cloudformation.String(a[1])}
	}
	return out
}

// partitionNeutral turns a user-given ARN into a !Sub with
// ${AWS::Partition}, so that the template carries no partition literal.
func partitionNeutral(arn string) string {
	_, rest, ok := strings.Cut(arn, ":")
	if !ok {
		return arn
	}
	_, rest, ok = strings.Cut(rest, ":")
	if !ok {
		return arn
	}
	return cloudformation.Sub("arn:${AWS::Partition}:" + rest)
}

// Validation of these settings, called from Config.Validate.

var (
	healthPathPattern = lazyregexp.New(`^/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$`)
	matcherPattern    = lazyregexp.New(`^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$`)
)

func (v *validator) healthCheck(h HealthCheck) {
	switch {
	case h.Path == "" || h.Path[0] != '/':
		v.add(KeyHealthCheckPath, "%q must start with /, e.g. /health", h.Path)
	case len(h.Path) > 1024:
		v.add(KeyHealthCheckPath, "is %d characters long: allowed up to 1024", len(h.Path))
	case !healthPathPattern.MatchString(h.Path):
		v.add(KeyHealthCheckPath, "%q has characters not allowed in a URL path (spaces or control characters?)", h.Path)
	}
	v.matcher(h.Matcher)
	if h.Timeout >= h.Interval {
		v.addCross(KeyHealthCheckTimeout, []string{KeyHealthCheckInterval},
			"health-check-timeout %d s must be shorter than health-check-interval %d s", h.Timeout, h.Interval)
	}
}

// matcher checks an ALB HTTP success-code matcher: codes from 200 to 499,
// as a single code, a comma-separated list, or a low-high range.
func (v *validator) matcher(m string) {
	const allowed = "use HTTP codes from 200 to 499 as 200, 200,202 or 200-299"
	if !matcherPattern.MatchString(m) {
		v.add(KeyHealthCheckMatcher, "%q is not well formed: %s", m, allowed)
		return
	}
	for _, part := range strings.Split(m, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		low, _ := strconv.Atoi(lo)
		high := low
		if isRange {
			high, _ = strconv.Atoi(hi)
		}
		if low < 200 || high > 499 || low > high {
			v.add(KeyHealthCheckMatcher, "%q is out of range: %s", part, allowed)
			return
		}
	}
}

// SSLPolicies are the predefined ELB security policies an HTTPS listener of
// an Application Load Balancer accepts. Source: "Security policies for your
// Application Load Balancer" in the ELB user guide (2026), which adds new
// ones from time to time; list them with `aws elbv2 describe-ssl-policies`.
var SSLPolicies = []string{
	"ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-0-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-0-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
	"ELBSecurityPolicy-TLS13-1-1-2021-06",
	"ELBSecurityPolicy-TLS13-1-0-2021-06",
	"ELBSecurityPolicy-TLS13-1-3-2021-06",
	"ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
	"ELBSecurityPolicy-FS-1-2-Res-2020-10",
	"ELBSecurityPolicy-FS-1-2-Res-2019-08",
	"ELBSecurityPolicy-FS-1-2-2019-08",
	"ELBSecurityPolicy-FS-1-1-2019-08",
	"ELBSecurityPolicy-FS-2018-06",
	"ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
	"ELBSecurityPolicy-TLS-1-2-2017-01",
	"ELBSecurityPolicy-TLS-1-1-2017-01",
	"ELBSecurityPolicy-2016-08",
	"ELBSecurityPolicy-TLS-1-0-2015-04",
	"ELBSecurityPolicy-2015-05",
}

// sslPolicyName is the shape of a predefined policy's name. A name of that
// shape that is not in SSLPolicies is accepted with a warning: AWS adds
// policies (the RFC 9151 ones, say) faster than this list, and ELB itself
// rejects an unknown name with a clear error when the listener is created.
var sslPolicyName = lazyregexp.New(`^ELBSecurityPolicy-[A-Za-z0-9-]{1,100}$`)

func (v *validator) sslPolicy(policy string) {
	if !sslPolicyName.MatchString(policy) {
		v.add(KeySSLPolicy, "%q is not an ELB security policy name: use one of the predefined ELBSecurityPolicy-* policies, e.g. %s (list them with: aws elbv2 describe-ssl-policies --query 'SslPolicies[].Name')", policy, DefaultSSLPolicy)
	}
}

var bucketPattern = lazyregexp.New(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

var wafACLARN = lazyregexp.New(`^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[a-f0-9-]{36}$`)

func (v *validator) loadBalancer(lb LoadBalancer) {
	if lb.Internal && len(lb.AllowCIDRs) == 0 {
		v.addCross(KeyAllowCIDR, []string{KeyInternal}, "internal is on, and an internal load balancer needs at least one source network in allow-cidr, e.g. 10.0.0.0/8")
	}
	seen := map[string]bool{}
	perFamily := map[bool]int{}
	for _, c := range lb.AllowCIDRs {
		p, err := netip.ParsePrefix(c)
		switch {
		case strings.Contains(c, ","):
			v.add(KeyAllowCIDR, "%q holds more than one network: give one network per allow-cidr value, repeated", c)
			continue
		case err != nil || p.Masked() != p:
			v.add(KeyAllowCIDR, "%q is not a network in CIDR notation: use e.g. 10.0.0.0/16 or 2001:db8::/32, with no host bits set", c)
			continue
		case seen[p.String()]:
			v.add(KeyAllowCIDR, "%s is given twice: EC2 rejects duplicate rules", c)
		case p.Addr().Is6() && !lb.DualStack:
			v.addCross(KeyAllowCIDR, []string{KeyDualStack}, "%s is an IPv6 network, but dualstack is off and the load balancer IPv4 only: turn dualstack on", c)
		}
		seen[p.String()] = true
		perFamily[p.Addr().Is4()]++
	}
	// Each network opens two ports, and a security group holds 60 inbound
	// rules per address family by default (VPC quotas).
	for is4, n := range perFamily {
		if n > maxNetworksPerFamily {
			family := map[bool]string{true: "IPv4", false: "IPv6"}[is4]
			v.add(KeyAllowCIDR, "%d %s networks: allowed up to %d, as each takes two of the security group's 60 %s rules", n, family, maxNetworksPerFamily, family)
		}
	}
	if b := lb.AccessLogs.Bucket; b != "" {
		if !bucketPattern.MatchString(b) || strings.Contains(b, "..") || isIPv4(b) {
			v.add(KeyAccessLogsBucket, "%q is not an S3 bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens", b)
		}
	}
	if p := lb.AccessLogs.Prefix; p != "" && (strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "AWSLogs") || len(p) > 200) {
		v.add(KeyAccessLogsPrefix, "%q is not allowed: no leading or trailing slash, no \"AWSLogs\", up to 200 characters", p)
	}
	if lb.WAFWebACLArn != "" && !wafACLARN.MatchString(lb.WAFWebACLArn) {
		v.add(KeyWAFACLArn, "%q is not a regional WAFv2 web ACL ARN: expected arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID", lb.WAFWebACLArn)
	}
}

const maxNetworksPerFamily = 30

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}
