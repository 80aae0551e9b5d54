package copilot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cfnfargate/cfnfargate/stack"
	"gopkg.in/yaml.v3"
)

// The load balancer's settings: http.*.

// http maps the load balancer's settings.
func (im *importer) http() {
	h, ok := im.root.get("http")
	h.key = "http"
	if ok && h.isScalar() && h.Tag == "!!bool" {
		if on, _ := h.boolean(); !on {
			im.problem(h, "false turns the Application Load Balancer off (a service behind a Network Load Balancer or none); cfnfargate always serves through an Application Load Balancer (HTTPS with a certificate, HTTP only without one), so this service cannot be imported as it is")
			return
		}
	}
	if ok && !h.isMap() && !h.isScalar() {
		im.addProblem(ptr(h.wrongType("a map")))
		return
	}
	if p, ok := h.get("path"); ok {
		v, prob := p.str()
		if !im.addProblem(prob) && strings.Trim(v, "/") != "" {
			im.report(Changed, p, "Copilot sent only requests under /%s to this service, on the environment's shared load balancer; cfnfargate's load balancer is the service's own and sends it every path. Paths reach the container unchanged, as before", strings.Trim(v, "/"))
		}
	}
	im.healthCheck(h)
	im.duration(h, "deregistration_delay", stack.KeyDeregistrationDelay, copilotDeregistering)
	if s, ok := h.get("stickiness"); ok {
		v, p := s.boolean()
		if !im.addProblem(p) && v {
			im.set(stack.KeyStickiness, s, strconv.Itoa(albDefaultCookieSeconds)).Note = "the load balancer's default cookie lifetime, one day, which Copilot kept"
		}
	}
	if ips, ok := h.get("allowed_source_ips"); ok {
		v, p := ips.strings()
		if !im.addProblem(p) {
			im.set(stack.KeyAllowCIDR, ips, v...).List = true
			im.report(Changed, ips, "other addresses can no longer connect at all (the load balancer's security group), where Copilot's listener rule answered them 403")
		}
	}
	im.alias(h)
	if t, ok := h.get("target_container"); ok && t.Value != im.res.Service {
		im.report(Unsupported, t, "routes to a sidecar; cfnfargate runs one container: make %s the image of the service", t.Value)
	}
	if t, ok := h.get("target_port"); ok {
		if v, _ := t.integer(); v != im.port {
			im.report(Unsupported, t, "cfnfargate sends requests to the container's port (image.port, %d): set image.port to %s or listen on %d", im.port, t.Value, im.port)
		}
	}
	if r, ok := h.get("redirect_to_https"); ok {
		if v, _ := r.boolean(); !v {
			im.report(Changed, r, "with a certificate, cfnfargate always redirects HTTP to HTTPS (without one, the load balancer serves HTTP only)")
		}
	}
	if v, ok := h.get("version"); ok && !strings.EqualFold(v.Value, "http1") {
		im.report(Unsupported, v, "cfnfargate's target group speaks HTTP/1.1 to the container (clients still get HTTP/2 from the load balancer); gRPC and HTTP/2 to the container are not supported")
	}
	if a, ok := h.get("alb"); ok {
		im.report(Unsupported, a, "cfnfargate creates the service's own load balancer and cannot join an existing one")
	}
	if r, ok := h.get("additional_rules"); ok {
		im.report(Unsupported, r, "cfnfargate's load balancer sends every request to the one container: serve these paths from it, or deploy another stack for each extra route")
	}
}

// healthCheck maps http.healthcheck, a path or a map, and sets Copilot's
// defaults for what it leaves out.
func (im *importer) healthCheck(h node) {
	hc, ok := h.get("healthcheck")
	if ok && hc.isScalar() {
		im.set(stack.KeyHealthCheckPath, hc, hc.Value)
		hc = node{key: hc.key}
	} else if ok && !hc.isMap() && !hc.isNull() {
		im.addProblem(ptr(hc.wrongType("a path such as /health, or a map with path, interval and thresholds")))
		return
	}
	hc.key = "http.healthcheck"
	if hc.isMap() {
		if p, ok := hc.get("path"); ok {
			v, prob := p.str()
			if !im.addProblem(prob) {
				im.set(stack.KeyHealthCheckPath, p, v)
			}
		}
		if port, ok := hc.get("port"); ok {
			if v, _ := port.integer(); v != im.port {
				im.report(Unsupported, port, "cfnfargate checks health on the container's port (image.port, %d): serve the health check there", im.port)
			}
		}
	}
	if _, set := im.res.Setting(stack.KeyHealthCheckPath); !set {
		im.setDefault(stack.KeyHealthCheckPath, join(hc.key, "path"), copilotHCPath)
	}
	if c, ok := hc.get("success_codes"); ok {
		v, p := c.str()
		if !im.addProblem(p) {
			im.set(stack.KeyHealthCheckMatcher, c, v)
		}
	} else {
		im.setDefault(stack.KeyHealthCheckMatcher, join(hc.key, "success_codes"), copilotHCCodes)
	}
	im.number(hc, "healthy_threshold", stack.KeyHealthyThreshold, copilotHealthy)
	im.number(hc, "unhealthy_threshold", stack.KeyUnhealthyThreshold, copilotUnhealthy)
	im.duration(hc, "interval", stack.KeyHealthCheckInterval, copilotHCInterval)
	im.duration(hc, "timeout", stack.KeyHealthCheckTimeout, copilotHCTimeout)
	im.duration(hc, "grace_period", stack.KeyHealthCheckGracePeriod, copilotGracePeriod)
}

// alias maps the first of http.alias onto domain-name and hosted-zone-id.
// They are deferred: Copilot's own record for the name still exists, and
// the stack cannot create a record that exists, so they are turned on only
// once DNS has moved (see the README's "Moving from Copilot").
func (im *importer) alias(h node) {
	a, ok := h.get("alias")
	if !ok || a.isNull() {
		return
	}
	zone := ""
	if z, ok := h.get("hosted_zone"); ok {
		zone, _ = z.str()
	}
	type named struct {
		name, zone string
		n          node
	}
	var aliases []named
	items := []*yaml.Node{a.Node}
	if a.isSeq() {
		items = a.Content
	}
	for _, item := range items {
		it := node{item, a.key}
		switch {
		case it.isScalar():
			aliases = append(aliases, named{it.Value, zone, it})
		case it.isMap():
			nm, ok := it.get("name")
			if !ok {
				im.problem(it, "an alias map needs a name")
				continue
			}
			z := zone
			if zn, ok := it.get("hosted_zone"); ok {
				z, _ = zn.str()
			}
			aliases = append(aliases, named{nm.Value, z, it})
		default:
			im.addProblem(ptr(it.wrongType("a domain name, or a map with name and hosted_zone")))
		}
	}
	if len(aliases) == 0 {
		return
	}
	for _, a := range aliases {
		im.res.Aliases = append(im.res.Aliases, a.name)
	}
	first := aliases[0]
	for _, other := range aliases[1:] {
		im.report(Unsupported, other.n, "cfnfargate serves one domain name (%s): point %s at the load balancer with a record of your own, and give deploy a certificate that covers both (--certificate-arn)", first.name, other.name)
	}
	if first.zone == "" {
		// Not imported, but still the name the service answers to, which
		// the certificate must cover: its placeholders need values.
		im.find(Finding{Kind: Unsupported, Key: im.where(first.n), Line: first.n.line(), Message: fmt.Sprintf("%s has no hosted_zone: Copilot wrote its record in the application's hosted zone (copilot app init --domain). Add domain-name: %s and that zone's ID as hosted-zone-id to the config once DNS has moved", first.name, first.name)})
		return
	}
	note := "turn on after DNS has moved to the new load balancer: Copilot's record for this name still exists, and the stack cannot create a record that exists"
	d := im.set(stack.KeyDomainName, first.n, first.name)
	d.Deferred, d.Note = true, note
	z := im.set(stack.KeyHostedZoneID, first.n, strings.TrimPrefix(first.zone, "/hostedzone/"))
	z.Deferred, z.Note = true, note
	im.report(Changed, first.n, "domain-name %s and hosted-zone-id %s are in the config as comments: deploy next to Copilot first, move the record, then turn them on (README, \"Moving from Copilot\")", first.name, first.zone)
}
