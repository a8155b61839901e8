// Command render renders a Helm 3 chart the way `helm template` does, without helm: Go's
// text/template with the sprig function library (the same two libraries Helm's engine is
// built on) plus Helm's own functions (include, tpl, required, toYaml, fromYaml, toJson,
// fromJson, lookup) and built-in objects (.Values, .Release, .Chart, .Capabilities, .Files,
// .Template). Values are passed already coalesced (chart defaults + overrides) as one JSON
// file: the caller merges and validates them against values.schema.json.
//
//	render -chart charts/kubeloop -values values.json [-name r] [-namespace ns] [-api-versions a,b]
//
// Output: every non-empty rendered template, in file-name order, as `---\n# Source: <chart>/<path>\n...`
// (the format of `helm template`). Partials (`_*.tpl`, `_*.yaml`) and NOTES.txt are not printed;
// with -notes only the rendered NOTES.txt is.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
)

// Helm's recursion limit for include.
const recursionMaxNums = 1000

// APIVersions is .Capabilities.APIVersions; `Has` accepts "group/version" or "group/version/Kind".
type APIVersions []string

func (a APIVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// Files is .Files: the chart's non-template files, read with `.Files.Get "path"`.
type Files map[string][]byte

func (f Files) Get(name string) string { return string(f[name]) }
func (f Files) GetBytes(name string) []byte { return f[name] }

// Glob returns the files matching a pattern, as Helm's .Files.Glob does.
func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}

// toYAML mirrors Helm's toYaml: sigs.k8s.io/yaml (ghodss) marshalling, trailing newline trimmed.
func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

// fromYAML mirrors Helm's fromYaml: a map, or {"Error": msg} when the text is not a mapping.
func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func main() {
	chartDir := flag.String("chart", "", "chart directory")
	valuesFile := flag.String("values", "", "coalesced values as JSON")
	name := flag.String("name", "release-name", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	apiVersions := flag.String("api-versions", "", "extra API versions for .Capabilities.APIVersions (comma list)")
	kubeVersion := flag.String("kube-version", "v1.32.0", "Kubernetes version for .Capabilities.KubeVersion")
	notes := flag.Bool("notes", false, "print the rendered templates/NOTES.txt instead of the manifests")
	flag.Parse()
	if *chartDir == "" || *valuesFile == "" {
		fmt.Fprintln(os.Stderr, "usage: render -chart DIR -values FILE.json [-name N] [-namespace NS] [-api-versions a,b]")
		os.Exit(2)
	}
	out, err := render(*chartDir, *valuesFile, *name, *namespace, *apiVersions, *kubeVersion, *notes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

func render(chartDir, valuesFile, name, namespace, apiVersionList, kubeVersion string, notesOnly bool) (string, error) {
	chartMeta := map[string]interface{}{}
	raw, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	if err := yaml.Unmarshal(raw, &chartMeta); err != nil {
		return "", fmt.Errorf("Chart.yaml: %v", err)
	}
	chartName, _ := chartMeta["name"].(string)
	if chartName == "" {
		return "", fmt.Errorf("Chart.yaml: name is required")
	}
	// Helm exposes Chart.yaml fields with capitalised names (.Chart.Name, .Chart.AppVersion).
	chart := map[string]interface{}{}
	for k, v := range chartMeta {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}

	values := map[string]interface{}{}
	if raw, err = os.ReadFile(valuesFile); err != nil {
		return "", err
	}
	if err := json.Unmarshal(raw, &values); err != nil {
		return "", fmt.Errorf("values: %v", err)
	}

	// Built-in API versions of Kubernetes 1.32 that the chart may ask about, plus extras.
	versions := APIVersions{"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1",
		"coordination.k8s.io/v1", "apiextensions.k8s.io/v1", "networking.k8s.io/v1", "autoscaling/v2",
		"admissionregistration.k8s.io/v1", "storage.k8s.io/v1", "scheduling.k8s.io/v1"}
	for _, v := range strings.Split(apiVersionList, ",") {
		if v = strings.TrimSpace(v); v != "" {
			versions = append(versions, v)
		}
	}
	major, minor := "1", "32"
	if parts := strings.SplitN(strings.TrimPrefix(kubeVersion, "v"), ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}

	files := Files{}
	var templates []string
	err = filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "templates/") {
			templates = append(templates, rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// Helm leaves these out of .Files.
		if rel != "Chart.yaml" && rel != "values.yaml" && rel != "values.schema.json" && !strings.HasPrefix(rel, "charts/") {
			files[rel] = data
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(templates)

	top := map[string]interface{}{
		"Values":  values,
		"Release": map[string]interface{}{"Name": name, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		"Chart":   chart,
		"Capabilities": map[string]interface{}{
			"APIVersions": versions,
			"KubeVersion": map[string]interface{}{"Version": kubeVersion, "GitVersion": kubeVersion, "Major": major, "Minor": minor},
			"HelmVersion": map[string]interface{}{"Version": "v3.16.0"},
		},
		"Files": files,
	}

	t := template.New("gotpl")
	t.Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	// Helm removes these for safety.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includedNames := map[string]int{}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["fromYamlArray"] = fromYAMLArray
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, fmt.Errorf(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, fmt.Errorf(msg)
		}
		return v, nil
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil // as `helm template`: no cluster
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > recursionMaxNums {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		defer func() { includedNames[name]-- }()
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		tt, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := tt.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	t.Funcs(funcs)

	for _, rel := range templates {
		data, err := os.ReadFile(filepath.Join(chartDir, rel))
		if err != nil {
			return "", err
		}
		if _, err := t.New(chartName + "/" + rel).Parse(string(data)); err != nil {
			return "", err
		}
	}

	var out strings.Builder
	for _, rel := range templates {
		base := path.Base(rel)
		// NOTES.txt is printed alone with -notes (what `helm install` shows), never as a manifest
		if strings.HasPrefix(base, "_") || (base == "NOTES.txt") != notesOnly {
			continue
		}
		full := chartName + "/" + rel
		scope := map[string]interface{}{}
		for k, v := range top {
			scope[k] = v
		}
		scope["Template"] = map[string]interface{}{"Name": full, "BasePath": chartName + "/templates"}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, full, scope); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if notesOnly {
			out.WriteString(text)
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", full, strings.TrimSpace(text))
	}
	return out.String(), nil
}
