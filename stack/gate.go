package stack

import (
	"strconv"

	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/ssm"
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// The pause gate holds a blue/green deployment before production traffic
// moves, until someone approves or rejects it.
//
// ECS's own PAUSE hook type (2026) is not in the CloudFormation schema
// that cfn-lint bundles, which knows Lambda hooks only (HookTargetArn and
// RoleArn required), so the gate is a Lambda lifecycle hook. Its code sits
// inline in the template (ZipFile) rather than in an S3 asset, so that the
// template stays one file to review and upload in the console. ECS calls it
// again every callBackDelay seconds for as long as it answers IN_PROGRESS,
// rolls back on FAILED, and goes on on SUCCEEDED (ECS developer guide,
// "Lambda hooks for Amazon ECS service deployments").
//
// The answer lives in an SSM parameter of the stack, which the function
// reads and the deploy command writes:
//
//	waiting REVISION SINCE  the function waits for REVISION since SINCE (Unix seconds)
//	approve REVISION        go on to production traffic
//	reject REVISION         roll back
//	expired REVISION        nobody answered within the timeout: rolled back
//
// The function writes "waiting" once, for a revision it has not seen, and
// never again for that revision, so it cannot overwrite an answer: the
// deploy command answers only a revision the parameter says is waiting.
// Each answer names the service revision ECS deploys (the payload's
// targetServiceRevisionArn), so an answer left over from an earlier
// deployment never lets a later one through.

// Gate answers the deploy command writes to the gate's parameter.
const (
	GateWaiting = "waiting"
	GateApprove = "approve"
	GateReject  = "reject"
	GateExpired = "expired"
)

// gateStage is the lifecycle stage the gate holds: after the test traffic
// moved to green when there is a test rule, so that it can be tried first,
// else after green scaled up; both come before production traffic moves.
// Not PRODUCTION_TRAFFIC_SHIFT or TEST_TRAFFIC_SHIFT: ECS runs those stages'
// hooks during a rollback too, and a gate there could hold the rollback.
func gateStage(cfg Config) string {
	if cfg.Deployment.TestHeader != "" {
		return "POST_TEST_TRAFFIC_SHIFT"
	}
	return "POST_SCALE_UP"
}

// gateCode is the gate's function: Python, as only Node.js and Python take
// inline code (AWS::Lambda::Function Code, ZipFile), and the boto3 that the
// runtime includes is all it needs. A ZipFile holds up to 4096 characters.
const gateCode = `# cfnfargate pause gate: ECS calls this lifecycle hook before production
# traffic moves. It answers IN_PROGRESS until "approve REVISION" or
# "reject REVISION" is in the SSM parameter, and FAILED (ECS rolls back)
# once the timeout has passed without an answer.
import os
import time

import boto3

ssm = boto3.client("ssm")
NAME = os.environ["GATE_PARAMETER"]
TIMEOUT = int(os.environ["GATE_TIMEOUT_SECONDS"])


def put(value):
    ssm.put_parameter(Name=NAME, Value=value, Overwrite=True)


def handler(event, context):
    revision = event.get("targetServiceRevisionArn") or "unknown"
    words = ssm.get_parameter(Name=NAME)["Parameter"]["Value"].split(" ")
    if len(words) >= 2 and words[1] == revision:
        if words[0] == "approve":
            return {"hookStatus": "SUCCEEDED"}
        if words[0] in ("reject", "expired"):
            return {"hookStatus": "FAILED"}
        if words[0] == "waiting" and len(words) == 3:
            if time.time() - float(words[2]) > TIMEOUT:
                put("expired " + revision)
                return {"hookStatus": "FAILED"}
            return {"hookStatus": "IN_PROGRESS", "callBackDelay": 30}
    put("waiting %s %d" % (revision, time.time()))
    return {"hookStatus": "IN_PROGRESS", "callBackDelay": 30}
`

// addPauseGate adds the gate: its parameter, its function with its role and
// log group, and the role ECS invokes it with.
func addPauseGate(t *cloudformation.Template, cfg Config) {
	t.Resources[idGateParameter] = &ssm.Parameter{
		Type: "String",
		// Named after the stack, whose name is unique in its account and
		// Region, so that the deploy command knows where to answer. Stack
		// names keep to letters, digits and hyphens, all of which SSM allows
		// in a parameter name (SSM API reference, PutParameter Name).
		Name:        cloudformation.SubPtr(GateParameterName("${AWS::StackName}")),
		Value:       "none",
		Description: cloudformation.String("Pause gate of " + serviceLabel(cfg) + ": the answer to a blue/green deployment waiting before production traffic, written by cfnfargate deploy."),
		Tags:        parameterTags(cfg),
	}
	t.Resources[idGateLogGroup] = &logs.LogGroup{
		RetentionInDays: cloudformation.Int(gateLogRetentionDays),
		Tags:            resourceTags(cfg),
	}
	// A parameter's ARN is "parameter" and its name, which starts with a
	// slash here.
	parameterArn := cloudformation.Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter" + GateParameterName("${AWS::StackName}"))
	t.Resources[idGateFunctionRole] = &iam.Role{
		Description: cloudformation.String("Lets the pause gate of " + serviceLabel(cfg) + " read and write its SSM parameter and its logs."),
		AssumeRolePolicyDocument: policyDocument(statement{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "lambda.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}),
		Policies: []iam.Role_Policy{{
			PolicyName: "pause-gate",
			PolicyDocument: policyDocument(
				statement{"Sid": "Answer", "Effect": "Allow", "Action": []string{"ssm:GetParameter", "ssm:PutParameter"}, "Resource": parameterArn},
				statement{"Sid": "WriteLogs", "Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": cloudformation.GetAtt(idGateLogGroup, "Arn")},
			),
		}},
		Tags: resourceTags(cfg),
	}
	code := gateCode
	t.Resources[idGateFunction] = &lambda.Function{
		Description: cloudformation.String("Pause gate of " + serviceLabel(cfg) + ": holds blue/green deployments before production traffic until cfnfargate deploy records an answer."),
		Runtime:     cloudformation.String(gateRuntime),
		Handler:     cloudformation.String("index.handler"),
		Code:        &lambda.Function_Code{ZipFile: &code},
		Role:        cloudformation.GetAtt(idGateFunctionRole, "Arn"),
		Timeout:     cloudformation.Int(10),
		MemorySize:  cloudformation.Int(128),
		Environment: &lambda.Function_Environment{Variables: map[string]string{
			"GATE_PARAMETER":       cloudformation.Ref(idGateParameter),
			"GATE_TIMEOUT_SECONDS": strconv.Itoa(int(cfg.Deployment.PauseTimeout.Seconds())),
		}},
		LoggingConfig: &lambda.Function_LoggingConfig{LogGroup: cloudformation.RefPtr(idGateLogGroup)},
		Tags:          resourceTags(cfg),
	}
	// ECS invokes the hook with this role: trusted by ecs.amazonaws.com and
	// allowed lambda:InvokeFunction (ECS developer guide, "Permissions
	// required for Lambda functions in Amazon ECS blue/green deployments"),
	// here on the gate only.
	t.Resources[idGateInvokeRole] = &iam.Role{
		Description: cloudformation.String("Lets ECS call the pause gate of " + serviceLabel(cfg) + " during blue/green deployments."),
		AssumeRolePolicyDocument: policyDocument(statement{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ecs.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}),
		Policies: []iam.Role_Policy{{
			PolicyName:     "invoke-pause-gate",
			PolicyDocument: policyDocument(statement{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": cloudformation.GetAtt(idGateFunction, "Arn")}),
		}},
		Tags: resourceTags(cfg),
	}
}

// GateParameterName is the name of the pause gate's SSM parameter in stack
// stackName.
func GateParameterName(stackName string) string { return "/cfnfargate/" + stackName + "/pause-gate" }

// pauseHook is the service's lifecycle hook entry of the gate.
func pauseHook(cfg Config) map[string]any {
	return map[string]any{
		"HookTargetArn":   cloudformation.GetAtt(idGateFunction, "Arn"),
		"RoleArn":         cloudformation.GetAtt(idGateInvokeRole, "Arn"),
		"LifecycleStages": []string{gateStage(cfg)},
	}
}

// gateRuntime is a Python runtime Lambda supports, and cfn-lint does not
// flag as deprecated.
const gateRuntime = "python3.13"

// gateLogRetentionDays keeps the gate's decisions for a month.
const gateLogRetentionDays = 30

// parameterTags are the resource tags as an SSM parameter takes them: a map.
func parameterTags(cfg Config) map[string]string {
	tags := resourceTags(cfg)
	if len(tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(tags))
	for _, tag := range tags {
		out[tag.Key] = tag.Value
	}
	return out
}
