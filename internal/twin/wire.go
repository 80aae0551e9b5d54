package twin

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The wire formats the AWS SDK for Go v2 speaks to the three services the
// twin answers itself: CloudFormation and Elastic Load Balancing v2 use the
// query protocol (a form-encoded POST in, XML out, lists flattened as
// Name.member.N), ECS uses JSON 1.1 (X-Amz-Target names the operation,
// camelCase JSON in and out, errors as {"__type", "message"}).

// apiError is an error an API call answers with.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// validation is the 400 ValidationError of the query services.
func validation(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

// params is a query request's form, unflattened: "A.member.2.B" becomes
// params["A"].([]any)[1].(map[string]any)["B"].
type params map[string]any

func parseForm(form url.Values) params {
	root := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		setPath(root, strings.Split(k, "."), form.Get(k))
	}
	return params(normalizeLists(root).(map[string]any))
}

// setPath stores value under path; "member" (and "entry") segments followed
// by an index become list positions, kept as maps keyed "#N" until
// normalizeLists turns them into slices.
func setPath(m map[string]any, path []string, value string) {
	cur := m
	for i := 0; i < len(path); i++ {
		key := path[i]
		if i+2 < len(path) && (path[i+1] == "member" || path[i+1] == "entry") {
			list := child(cur, key+"#list")
			idx := "#" + path[i+2]
			if i+2 == len(path)-1 {
				list[idx] = value
				return
			}
			cur = child(list, idx)
			i += 2
			continue
		}
		if i == len(path)-1 {
			cur[key] = value
			return
		}
		cur = child(cur, key)
	}
}

func child(m map[string]any, key string) map[string]any {
	next, _ := m[key].(map[string]any)
	if next == nil {
		next = map[string]any{}
		m[key] = next
	}
	return next
}

func normalizeLists(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, val := range m {
		if name, ok := strings.CutSuffix(k, "#list"); ok {
			items := val.(map[string]any)
			idx := make([]int, 0, len(items))
			for key := range items {
				n, _ := strconv.Atoi(strings.TrimPrefix(key, "#"))
				idx = append(idx, n)
			}
			sort.Ints(idx)
			list := make([]any, 0, len(idx))
			for _, n := range idx {
				list = append(list, normalizeLists(items["#"+strconv.Itoa(n)]))
			}
			out[name] = list
			continue
		}
		out[k] = normalizeLists(val)
	}
	return out
}

func (p params) str(key string) string { s, _ := p[key].(string); return s }

func (p params) list(key string) []any { l, _ := p[key].([]any); return l }

func (p params) strs(key string) []string {
	var out []string
	for _, v := range p.list(key) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// xmlw writes a query-protocol XML answer.
type xmlw struct{ b strings.Builder }

func (w *xmlw) open(name string)  { w.b.WriteString("<" + name + ">") }
func (w *xmlw) close(name string) { w.b.WriteString("</" + name + ">") }

func (w *xmlw) leaf(name, value string) {
	w.b.WriteString("<" + name + ">")
	xml.EscapeText(&w.b, []byte(value))
	w.b.WriteString("</" + name + ">")
}

// opt writes a leaf only when value is not empty.
func (w *xmlw) opt(name, value string) {
	if value != "" {
		w.leaf(name, value)
	}
}

func (w *xmlw) time(name string, t time.Time) {
	if !t.IsZero() {
		w.leaf(name, t.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
}

// members writes a list of n members, each written by item.
func (w *xmlw) members(name string, n int, item func(i int)) {
	w.open(name)
	for i := 0; i < n; i++ {
		w.open("member")
		item(i)
		w.close("member")
	}
	w.close(name)
}

// renderQuery is the body of a query-protocol answer. result reads the
// twin's state, so the caller renders under the twin's lock.
func renderQuery(namespace, action string, result func(w *xmlw)) string {
	var w xmlw
	w.b.WriteString(`<` + action + `Response xmlns="` + namespace + `">`)
	w.open(action + "Result")
	if result != nil {
		result(&w)
	}
	w.close(action + "Result")
	w.b.WriteString("<ResponseMetadata><RequestId>twin-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "</RequestId></ResponseMetadata>")
	w.close(action + "Response")
	return w.b.String()
}

func writeQuery(rw http.ResponseWriter, body string) {
	rw.Header().Set("Content-Type", "text/xml")
	rw.WriteHeader(http.StatusOK)
	rw.Write([]byte(body))
}

func writeQueryError(rw http.ResponseWriter, namespace string, e *apiError) {
	var w xmlw
	w.b.WriteString(`<ErrorResponse xmlns="` + namespace + `"><Error><Type>Sender</Type>`)
	w.leaf("Code", e.Code)
	w.leaf("Message", e.Message)
	w.b.WriteString("</Error><RequestId>twin-error</RequestId></ErrorResponse>")
	rw.Header().Set("Content-Type", "text/xml")
	rw.WriteHeader(e.Status)
	rw.Write([]byte(w.b.String()))
}

func writeJSON(rw http.ResponseWriter, body []byte) {
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	rw.WriteHeader(http.StatusOK)
	rw.Write(body)
}

func writeJSONError(rw http.ResponseWriter, e *apiError) {
	body, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	rw.WriteHeader(e.Status)
	rw.Write(body)
}

// epoch is a JSON 1.1 timestamp: seconds since the epoch, as a number.
func epoch(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return float64(t.UnixMilli()) / 1000
}
