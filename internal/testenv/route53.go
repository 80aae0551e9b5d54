package testenv

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// CreateHostedZone creates a public Route 53 hosted zone for name in moto
// and returns its ID without the "/hostedzone/" prefix. Route 53 speaks
// REST-XML, not the query protocol, so it has its own helper.
func (m *Moto) CreateHostedZone(t testing.TB, name string) string {
	t.Helper()
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
  <Name>%s</Name>
  <CallerReference>%d</CallerReference>
</CreateHostedZoneRequest>`, name, time.Now().UnixNano())
	req, err := http.NewRequest(http.MethodPost, m.Endpoint+"/2013-04-01/hostedzone", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("moto route53 CreateHostedZone: %v", err)
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("Authorization", m.authorization("route53"))
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := m.client.Do(req)
	if err != nil {
		t.Fatalf("moto route53 CreateHostedZone: %v", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		t.Fatalf("moto route53 CreateHostedZone: %s\n%s", resp.Status, out)
	}
	ids := XMLValues(out, "Id")
	if len(ids) == 0 {
		t.Fatalf("moto route53 CreateHostedZone: no Id in\n%s", out)
	}
	return strings.TrimPrefix(ids[0], "/hostedzone/")
}
