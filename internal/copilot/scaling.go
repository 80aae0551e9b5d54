package copilot

import (
	"fmt"
	"strconv"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"

	"github.com/cfnfargate/cfnfargate/stack"
)

// count maps a task count, or an autoscaling range with its targets,
// Spot split and cooldowns.
func (im *importer) count() {
	n, ok := im.root.get("count")
	if !ok || n.isNull() {
		return
	}
	if n.isScalar() {
		v, p := n.integer()
		if !im.addProblem(p) {
			im.set(stack.KeyDesiredCount, n, strconv.Itoa(v))
		}
		return
	}
	if !n.isMap() {
		im.addProblem(ptr(n.wrongType("a number of tasks, or a map with range and cpu_percentage or requests")))
		return
	}
	rng, hasRange := n.get("range")
	if spot, ok := n.get("spot"); ok {
		v, p := spot.integer()
		if im.addProblem(p) {
			return
		}
		if hasRange {
			im.problem(spot, "cannot go with count.range: for Spot with autoscaling, use range.spot_from")
			return
		}
		// count.spot runs every task on Fargate Spot (common-svc-fields.en.md).
		im.set(stack.KeyDesiredCount, spot, strconv.Itoa(v))
		im.set(stack.KeySpot, spot, "true")
		im.set(stack.KeySpotBase, spot, "0").Note = "every task on Spot, as count.spot runs them"
		im.set(stack.KeySpotWeight, spot, "0")
	}
	for _, metric := range []string{"memory_percentage", "response_time"} {
		if m, ok := n.get(metric); ok {
			im.report(Unsupported, m, "cfnfargate scales on CPU (count.cpu_percentage) and requests per task (count.requests) only; the config leaves this target out")
		}
	}
	cpu, hasCPU := n.get("cpu_percentage")
	reqs, hasReqs := n.get("requests")
	if !hasRange {
		if hasCPU || hasReqs {
			im.problem(n, "has scaling targets but no range: Copilot needs count.range (such as 1-10) to autoscale")
		}
		return
	}
	lo, hi, spotFrom, ok := im.countRange(rng)
	if !ok {
		return
	}
	if spotFrom > 0 {
		// spot_from N places the first N-1 tasks on regular Fargate and the
		// rest on Spot (common-svc-fields.en.md, count.range.spot_from).
		spotNode, _ := rng.get("spot_from")
		im.set(stack.KeySpot, spotNode, "true")
		im.set(stack.KeySpotBase, spotNode, strconv.Itoa(spotFrom-1)).Note = fmt.Sprintf("spot_from %d: the first %d task(s) on regular Fargate", spotFrom, spotFrom-1)
		im.set(stack.KeySpotWeight, spotNode, "0")
	}
	if !hasCPU && !hasReqs {
		im.set(stack.KeyDesiredCount, rng, strconv.Itoa(lo))
		im.report(Unsupported, rng, "has no target cfnfargate scales on (count.cpu_percentage or count.requests): the config runs %d task(s) and does not autoscale", lo)
		return
	}
	// With autoscaling, cfnfargate starts the service at min-count, as
	// Copilot starts it at the range's minimum.
	im.set(stack.KeyMinCount, rng, strconv.Itoa(lo))
	im.set(stack.KeyMaxCount, rng, strconv.Itoa(hi))

	in, out := copilotScaleIn, copilotScaleOut
	inSrc, outSrc := "count.cooldown", "count.cooldown"
	inLine, outLine := 0, 0
	if cd, ok := n.get("cooldown"); ok {
		in, inLine = im.cooldown(cd, "scale_in_cooldown", in)
		out, outLine = im.cooldown(cd, "scale_out_cooldown", out)
	}
	// cfnfargate has one pair of cooldowns for both policies; a metric's
	// own cooldown wins over count.cooldown, the first metric's over the
	// second's.
	var seen []string
	for _, m := range []struct {
		node node
		ok   bool
		key  string
	}{{cpu, hasCPU, stack.KeyScaleCPUPercent}, {reqs, hasReqs, stack.KeyScaleRequestsPerTarget}} {
		if !m.ok {
			continue
		}
		value, cd := m.node, node{}
		if m.node.isMap() {
			v, ok := m.node.get("value")
			if !ok {
				im.problem(m.node, "has no value")
				continue
			}
			value = v
			cd, _ = m.node.get("cooldown")
		}
		target, p := value.integer()
		if im.addProblem(p) {
			continue
		}
		im.set(m.key, value, strconv.Itoa(target))
		if cd.Node == nil {
			continue
		}
		if !cd.isMap() {
			im.addProblem(ptr(cd.wrongType("a map with scale_in_cooldown and scale_out_cooldown")))
			continue
		}
		if len(seen) > 0 {
			im.report(Changed, cd, "cfnfargate has one scale-in and one scale-out cooldown for both targets: the config keeps those of %s", seen[0])
			continue
		}
		seen = append(seen, cd.key)
		if _, ok := cd.get("scale_in_cooldown"); ok {
			in, inLine = im.cooldown(cd, "scale_in_cooldown", in)
			inSrc = cd.key
		}
		if _, ok := cd.get("scale_out_cooldown"); ok {
			out, outLine = im.cooldown(cd, "scale_out_cooldown", out)
			outSrc = cd.key
		}
	}
	im.setCooldown(stack.KeyScaleInCooldown, inSrc+".scale_in_cooldown", inLine, in)
	im.setCooldown(stack.KeyScaleOutCooldown, outSrc+".scale_out_cooldown", outLine, out)
}

func (im *importer) setCooldown(key, source string, line, secs int) {
	s := im.setFrom(key, source, line, strconv.Itoa(secs))
	if line == 0 {
		s.Note = copilotDefault
	}
}

// cooldown reads one cooldown of cd, keeping fallback when it is absent.
func (im *importer) cooldown(cd node, key string, fallback int) (int, int) {
	if !cd.isMap() {
		im.addProblem(ptr(cd.wrongType("a map with scale_in_cooldown and scale_out_cooldown")))
		return fallback, 0
	}
	n, ok := cd.get(key)
	if !ok {
		return fallback, 0
	}
	secs, _, p := n.seconds()
	if im.addProblem(p) {
		return fallback, 0
	}
	return secs, n.line()
}

var rangePattern = lazyregexp.New(`^\s*(\d+)\s*-\s*(\d+)\s*$`)

// countRange reads "1-10" or {min, max, spot_from}.
func (im *importer) countRange(rng node) (lo, hi, spotFrom int, ok bool) {
	switch {
	case rng.isScalar():
		m := rangePattern.FindStringSubmatch(rng.Value)
		if m == nil {
			im.problem(rng, "%q is not a range: expected MIN-MAX, such as 1-10", rng.Value)
			return 0, 0, 0, false
		}
		lo, _ = strconv.Atoi(m[1])
		hi, _ = strconv.Atoi(m[2])
	case rng.isMap():
		minNode, hasMin := rng.get("min")
		maxNode, hasMax := rng.get("max")
		if !hasMin || !hasMax {
			im.problem(rng, "needs both min and max")
			return 0, 0, 0, false
		}
		var p1, p2 *Problem
		lo, p1 = minNode.integer()
		hi, p2 = maxNode.integer()
		if im.addProblem(p1) || im.addProblem(p2) {
			return 0, 0, 0, false
		}
		if sf, has := rng.get("spot_from"); has {
			v, p := sf.integer()
			if im.addProblem(p) {
				return 0, 0, 0, false
			}
			if v < 1 {
				im.problem(sf, "%d is out of range: the first task to place on Spot counts from 1", v)
				return 0, 0, 0, false
			}
			spotFrom = v
		}
	default:
		im.addProblem(ptr(rng.wrongType("a range such as 1-10, or a map with min and max")))
		return 0, 0, 0, false
	}
	if lo > hi {
		im.problem(rng, "minimum %d is above maximum %d", lo, hi)
		return 0, 0, 0, false
	}
	return lo, hi, spotFrom, true
}
