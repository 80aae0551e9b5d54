package copilot

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/spelling"
)

// tree is the shape of the keys Copilot reads in a Load Balanced Web
// Service manifest: a key maps to the tree of its own keys, or to nil when
// its value is free-form (a list, a string, a map of user names such as
// variables) or is reported as a whole (sidecars).
type tree map[string]tree

var cooldownKeys = tree{"scale_in_cooldown": nil, "scale_out_cooldown": nil}

// lbwsKeys are the keys of Copilot's LBWS manifest reference
// (site/content/docs/manifest/lb-web-service.en.md and the includes it
// pulls in), as of Copilot v1.34.
var lbwsKeys = tree{
	"name": nil,
	"type": nil,
	"image": {
		"build": nil, "location": nil, "port": nil, "credentials": nil,
		"labels": nil, "docker_labels": nil, "depends_on": nil,
		"healthcheck": {"command": nil, "interval": nil, "retries": nil, "timeout": nil, "start_period": nil},
	},
	"entrypoint": nil,
	"command":    nil,
	"cpu":        nil,
	"memory":     nil,
	"platform":   {"osfamily": nil, "architecture": nil},
	"count": {
		"range":             {"min": nil, "max": nil, "spot_from": nil},
		"spot":              nil,
		"cpu_percentage":    {"value": nil, "cooldown": cooldownKeys},
		"memory_percentage": {"value": nil, "cooldown": cooldownKeys},
		"requests":          {"value": nil, "cooldown": cooldownKeys},
		"response_time":     {"value": nil, "cooldown": cooldownKeys},
		"cooldown":          cooldownKeys,
	},
	"exec":       nil,
	"deployment": {"rolling": nil, "rollback_alarms": nil},
	"network": {
		"vpc":     {"placement": nil, "security_groups": nil},
		"connect": nil,
	},
	"variables": nil,
	"env_file":  nil,
	"secrets":   nil,
	"storage":   {"ephemeral": nil, "readonly_fs": nil, "volumes": nil},
	"logging": {
		"retention": nil, "image": nil, "destination": nil, "enableMetadata": nil,
		"secretOptions": nil, "configFilePath": nil, "variables": nil, "secrets": nil, "env_file": nil,
	},
	"observability":     nil,
	"sidecars":          nil,
	"publish":           nil,
	"taskdef_overrides": nil,
	"nlb":               nil,
	"environments":      nil,
	"http": {
		"path": nil, "alias": nil, "hosted_zone": nil,
		"healthcheck": {
			"path": nil, "port": nil, "success_codes": nil, "healthy_threshold": nil,
			"unhealthy_threshold": nil, "interval": nil, "timeout": nil, "grace_period": nil,
		},
		"deregistration_delay": nil, "target_container": nil, "target_port": nil,
		"stickiness": nil, "allowed_source_ips": nil, "redirect_to_https": nil,
		"version": nil, "alb": nil, "additional_rules": nil,
	},
}

// otherServiceKeys are top-level keys of Copilot's other service types
// that people paste into LBWS manifests, where Copilot ignores them.
var otherServiceKeys = map[string]string{
	"on":          "a Scheduled Job's schedule",
	"retries":     "a Scheduled Job's retries",
	"timeout":     "a Scheduled Job's timeout",
	"subscribe":   "a Worker Service's subscriptions",
	"scaling":     "a Request-Driven Web Service's autoscaling (count is this type's)",
	"instance":    "a Request-Driven Web Service's instance size",
	"healthcheck": "a Backend Service's container health check (here it is image.healthcheck, or http.healthcheck for the load balancer's)",
}

// unknownKeys reports every key under n that Copilot does not read, with
// its value: Copilot ignores them, so the service runs today without them,
// and the import ignores them too.
func unknownKeys(n node, t tree, add func(f Finding, value node)) {
	for _, e := range n.entries() {
		child, known := t[e.name]
		if !known {
			add(Finding{Kind: Ignored, Key: join(n.key, e.name), Line: e.line, Message: unknownMessage(n.key, e.name, t)}, e.value)
			continue
		}
		if child != nil && e.value.isMap() {
			unknownKeys(e.value, child, add)
		}
	}
}

func unknownMessage(parent, name string, t tree) string {
	msg := "Copilot does not read this key and ignores it, so the service runs without it; the import ignores it too"
	if parent == "" {
		if what, ok := otherServiceKeys[name]; ok {
			return msg + " (it is " + what + ")"
		}
	}
	if elsewhere := knownAt(name); len(elsewhere) > 0 && !containsPrefix(elsewhere, parent) {
		return msg + fmt.Sprintf(" (Copilot reads %s only as %s: move it there if you meant it)", name, strings.Join(elsewhere, " or "))
	}
	if s := closest(name, t); s != "" {
		return msg + fmt.Sprintf(" (did you mean %s?)", join(parent, s))
	}
	if near := nearAt(name); len(near) > 0 {
		return msg + fmt.Sprintf(" (did you mean %s?)", strings.Join(near, " or "))
	}
	return msg
}

func containsPrefix(paths []string, parent string) bool {
	for _, p := range paths {
		if strings.HasPrefix(p, parent+".") && !strings.Contains(p[len(parent)+1:], ".") {
			return true
		}
	}
	return false
}

// knownAt lists the dotted keys named name anywhere in the LBWS tree, for
// a key that sits at the wrong level (interval: under http instead of
// http.healthcheck).
func knownAt(name string) []string {
	var out []string
	var walk func(prefix string, t tree)
	walk = func(prefix string, t tree) {
		for k, child := range t {
			if k == name && prefix != "" {
				out = append(out, join(prefix, k))
			}
			if child != nil && !strings.Contains(prefix, "cooldown") {
				walk(join(prefix, k), child)
			}
		}
	}
	walk("", lbwsKeys)
	sort.Strings(out)
	if len(out) > 3 {
		return nil // too common a name to point anywhere
	}
	return out
}

// nearAt lists the dotted keys anywhere in the LBWS tree within one edit
// of name (success_code for http.healthcheck.success_codes).
func nearAt(name string) []string {
	var out []string
	var walk func(prefix string, t tree)
	walk = func(prefix string, t tree) {
		for k, child := range t {
			if spelling.Distance(k, name) == 1 && prefix != "" && !strings.Contains(prefix, "cooldown") {
				out = append(out, join(prefix, k))
			}
			if child != nil {
				walk(join(prefix, k), child)
			}
		}
	}
	walk("", lbwsKeys)
	sort.Strings(out)
	if len(out) > 3 {
		return nil
	}
	return out
}

// closest is the key of t nearest to name by edit distance, within 2.
func closest(name string, t tree) string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return spelling.Closest(name, keys, 3)
}
