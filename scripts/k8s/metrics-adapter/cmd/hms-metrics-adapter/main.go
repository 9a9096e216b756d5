// hms-metrics-adapter serves the three metrics APIs an HPA reads, from Prometheus:
//
//   - custom.metrics.k8s.io  (type Pods metrics, e.g. requests in flight per gateway pod)
//   - external.metrics.k8s.io (type External metrics, e.g. a consumer group's Kafka lag)
//   - metrics.k8s.io          (CPU and memory of pods, for type Resource metrics)
//
// Its rules are prometheus-adapter's configuration format (rules, externalRules,
// resourceRules, with the <<.Series>>, <<.LabelMatchers>> and <<.GroupBy>> template
// fields), so k8s/prometheus-adapter/rules.yaml serves a real cluster's
// prometheus-adapter and this program alike. It exists because prometheus-adapter
// itself cannot be built here; it implements the subset HMS's HPAs use.
//
// Two ways to map pods to series:
//   - by default, as prometheus-adapter does: series carry `namespace` and `pod`
//     labels (Prometheus Operator's relabelling), one value per pod;
//   - --spread-over-pods (the HPA lab): the series come from the local stack, whose
//     processes are not pods. A pod's series are those whose `job` is the pod's
//     app.kubernetes.io/name label; the total over them is divided evenly among the
//     pods the HPA asks about. That is the lab's model: N simulated replicas share the
//     real load of the local services, so each reports total/N.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-base/logs"
	"k8s.io/klog/v2"
	"k8s.io/metrics/pkg/apis/custom_metrics"
	"k8s.io/metrics/pkg/apis/external_metrics"
	"k8s.io/metrics/pkg/apis/metrics"
	"sigs.k8s.io/yaml"

	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	openapicommon "k8s.io/kube-openapi/pkg/common"
	cmapiserver "sigs.k8s.io/custom-metrics-apiserver/pkg/apiserver"
	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"
	generatedcore "sigs.k8s.io/custom-metrics-apiserver/pkg/generated/openapi/core"
	generatedcustommetrics "sigs.k8s.io/custom-metrics-apiserver/pkg/generated/openapi/custommetrics"
	generatedexternalmetrics "sigs.k8s.io/custom-metrics-apiserver/pkg/generated/openapi/externalmetrics"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
	metricsapi "sigs.k8s.io/metrics-server/pkg/api"
	generatedmetrics "sigs.k8s.io/metrics-server/pkg/api/generated/openapi"
)

// openAPIDefinitions: the custom and external metrics types (as the base adapter
// has them) plus metrics.k8s.io's, which this adapter serves as well.
func openAPIDefinitions(ref openapicommon.ReferenceCallback) map[string]openapicommon.OpenAPIDefinition {
	out := map[string]openapicommon.OpenAPIDefinition{}
	for _, get := range []openapicommon.GetOpenAPIDefinitions{
		generatedcore.GetOpenAPIDefinitions, generatedcustommetrics.GetOpenAPIDefinitions,
		generatedexternalmetrics.GetOpenAPIDefinitions, generatedmetrics.GetOpenAPIDefinitions,
	} {
		for k, v := range get(ref) {
			out[k] = v
		}
	}
	return out
}

// ---------------------------------------------------------------- configuration

type resourceOverride struct {
	Resource string `json:"resource"`
}

type ruleResources struct {
	Overrides map[string]resourceOverride `json:"overrides"`
}

type ruleName struct {
	As string `json:"as"`
}

type rule struct {
	SeriesQuery  string        `json:"seriesQuery"`
	Resources    ruleResources `json:"resources"`
	Name         ruleName      `json:"name"`
	MetricsQuery string        `json:"metricsQuery"`
}

type resourceRule struct {
	ContainerQuery string        `json:"containerQuery"`
	Resources      ruleResources `json:"resources"`
	ContainerLabel string        `json:"containerLabel"`
}

type config struct {
	Rules         []rule `json:"rules"`
	ExternalRules []rule `json:"externalRules"`
	ResourceRules *struct {
		CPU    resourceRule `json:"cpu"`
		Memory resourceRule `json:"memory"`
	} `json:"resourceRules"`
}

// metricName is the name a rule serves: name.as, else the series' metric name.
func (r rule) metricName() string {
	if r.Name.As != "" {
		return r.Name.As
	}
	s := r.SeriesQuery
	if i := strings.IndexAny(s, "{ "); i >= 0 {
		s = s[:i]
	}
	return s
}

// series is the metric name of the seriesQuery (<<.Series>>).
func (r rule) series() string {
	s := r.SeriesQuery
	if i := strings.IndexAny(s, "{ "); i >= 0 {
		s = s[:i]
	}
	return s
}

// labelFor is the series label that holds a resource ("namespace", "pod"), or "".
func labelFor(res ruleResources, resource string) string {
	for label, o := range res.Overrides {
		if o.Resource == resource {
			return label
		}
	}
	return ""
}

func loadConfig(paths []string) (*config, error) {
	var merged config
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var c config
		if err := yaml.UnmarshalStrict(raw, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		merged.Rules = append(merged.Rules, c.Rules...)
		merged.ExternalRules = append(merged.ExternalRules, c.ExternalRules...)
		if c.ResourceRules != nil {
			merged.ResourceRules = c.ResourceRules
		}
	}
	return &merged, nil
}

// query renders a rule's query template.
func query(tpl string, series string, matchers []string, groupBy string) (string, error) {
	t, err := template.New("q").Delims("<<", ">>").Parse(tpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = t.Execute(&b, map[string]string{
		"Series":        series,
		"LabelMatchers": strings.Join(matchers, ","),
		"GroupBy":       groupBy,
	})
	return b.String(), err
}

// ------------------------------------------------------------------- Prometheus

type sample struct {
	labels map[string]string
	value  float64
}

type prometheus struct {
	base   string
	client *http.Client
}

func (p *prometheus) query(ctx context.Context, q string) ([]sample, error) {
	u := p.base + "/api/v1/query?" + url.Values{"query": {q}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("prometheus answered %s: %w", resp.Status, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("prometheus: %s (query %s)", body.Error, q)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("prometheus: %s result, want an instant vector (query %s)", body.Data.ResultType, q)
	}
	out := make([]sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		out = append(out, sample{labels: r.Metric, value: v})
	}
	return out, nil
}

// --------------------------------------------------------------------- provider

type adapter struct {
	cfg    *config
	prom   *prometheus
	spread bool
	pods   corelisters.PodLister
}

func quantity(v float64) resource.Quantity {
	return *resource.NewMilliQuantity(int64(math.Round(v*1000)), resource.DecimalSI)
}

func quote(v string) string { return strconv.Quote(v) }

// podValues evaluates a per-pod query for the given pods of one namespace and returns
// each pod's value. In spread mode each pod gets its app's total divided by the
// number of that app's pods asked about.
func (a *adapter) podValues(ctx context.Context, tpl, series string, res ruleResources, namespace string, pods []*corev1.Pod) (map[string]float64, error) {
	out := map[string]float64{}
	if len(pods) == 0 {
		return out, nil
	}
	if a.spread {
		byApp := map[string][]*corev1.Pod{}
		for _, p := range pods {
			app := p.Labels["app.kubernetes.io/name"]
			byApp[app] = append(byApp[app], p)
		}
		for app, group := range byApp {
			q, err := query(tpl, series, []string{"job=" + quote(app)}, "job")
			if err != nil {
				return nil, err
			}
			samples, err := a.prom.query(ctx, q)
			if err != nil {
				return nil, err
			}
			if len(samples) == 0 {
				return nil, fmt.Errorf("no series for job %q (query %s)", app, q)
			}
			total := 0.0
			for _, s := range samples {
				total += s.value
			}
			for _, p := range group {
				out[p.Name] = total / float64(len(group))
			}
		}
		return out, nil
	}
	nsLabel, podLabel := labelFor(res, "namespace"), labelFor(res, "pod")
	if podLabel == "" {
		return nil, fmt.Errorf("rule for %s maps no label to pods", series)
	}
	names := make([]string, 0, len(pods))
	for _, p := range pods {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	matchers := []string{podLabel + "=~" + quote(strings.Join(names, "|"))}
	if nsLabel != "" {
		matchers = append([]string{nsLabel + "=" + quote(namespace)}, matchers...)
	}
	q, err := query(tpl, series, matchers, podLabel)
	if err != nil {
		return nil, err
	}
	samples, err := a.prom.query(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, s := range samples {
		out[s.labels[podLabel]] += s.value
	}
	return out, nil
}

func (a *adapter) customRule(metric string) (rule, bool) {
	for _, r := range a.cfg.Rules {
		if r.metricName() == metric {
			return r, true
		}
	}
	return rule{}, false
}

func (a *adapter) GetMetricByName(ctx context.Context, name types.NamespacedName, info provider.CustomMetricInfo, metricSelector labels.Selector) (*custom_metrics.MetricValue, error) {
	list, err := a.GetMetricBySelector(ctx, name.Namespace, labels.Everything(), info, metricSelector)
	if err != nil {
		return nil, err
	}
	for i := range list.Items {
		if list.Items[i].DescribedObject.Name == name.Name {
			return &list.Items[i], nil
		}
	}
	return nil, provider.NewMetricNotFoundForError(info.GroupResource, info.Metric, name.Name)
}

func (a *adapter) GetMetricBySelector(ctx context.Context, namespace string, selector labels.Selector, info provider.CustomMetricInfo, _ labels.Selector) (*custom_metrics.MetricValueList, error) {
	if info.GroupResource.Resource != "pods" {
		return nil, provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
	}
	r, ok := a.customRule(info.Metric)
	if !ok {
		return nil, provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
	}
	pods, err := a.pods.Pods(namespace).List(selector)
	if err != nil {
		return nil, err
	}
	values, err := a.podValues(ctx, r.MetricsQuery, r.series(), r.Resources, namespace, pods)
	if err != nil {
		return nil, apierrors.NewServiceUnavailable(err.Error())
	}
	now := metav1.Now()
	list := &custom_metrics.MetricValueList{}
	for _, p := range pods {
		v, ok := values[p.Name]
		if !ok {
			continue
		}
		list.Items = append(list.Items, custom_metrics.MetricValue{
			DescribedObject: custom_metrics.ObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, Namespace: namespace},
			Metric:          custom_metrics.MetricIdentifier{Name: info.Metric},
			Timestamp:       now,
			Value:           quantity(v),
		})
	}
	return list, nil
}

func (a *adapter) ListAllMetrics() []provider.CustomMetricInfo {
	out := make([]provider.CustomMetricInfo, 0, len(a.cfg.Rules))
	for _, r := range a.cfg.Rules {
		out = append(out, provider.CustomMetricInfo{
			GroupResource: schema.GroupResource{Resource: "pods"}, Namespaced: true, Metric: r.metricName(),
		})
	}
	return out
}

func (a *adapter) GetExternalMetric(ctx context.Context, namespace string, metricSelector labels.Selector, info provider.ExternalMetricInfo) (*external_metrics.ExternalMetricValueList, error) {
	var r *rule
	for i := range a.cfg.ExternalRules {
		if a.cfg.ExternalRules[i].metricName() == info.Metric {
			r = &a.cfg.ExternalRules[i]
		}
	}
	if r == nil {
		return nil, provider.NewMetricNotFoundError(schema.GroupResource{Group: "external.metrics.k8s.io"}, info.Metric)
	}
	var matchers []string
	if ns := labelFor(r.Resources, "namespace"); ns != "" && !a.spread {
		matchers = append(matchers, ns+"="+quote(namespace))
	}
	reqs, _ := metricSelector.Requirements()
	for _, req := range reqs {
		vals := req.Values().List()
		switch req.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			matchers = append(matchers, req.Key()+"=~"+quote(strings.Join(vals, "|")))
		case selection.NotEquals, selection.NotIn:
			matchers = append(matchers, req.Key()+"!~"+quote(strings.Join(vals, "|")))
		case selection.Exists:
			matchers = append(matchers, req.Key()+`!=""`)
		case selection.DoesNotExist:
			matchers = append(matchers, req.Key()+`=""`)
		default:
			return nil, apierrors.NewBadRequest("unsupported selector operator " + string(req.Operator()))
		}
	}
	q, err := query(r.MetricsQuery, r.series(), matchers, "")
	if err != nil {
		return nil, err
	}
	samples, err := a.prom.query(ctx, q)
	if err != nil {
		return nil, apierrors.NewServiceUnavailable(err.Error())
	}
	now := metav1.Now()
	list := &external_metrics.ExternalMetricValueList{}
	for _, s := range samples {
		list.Items = append(list.Items, external_metrics.ExternalMetricValue{
			MetricName: info.Metric, MetricLabels: s.labels, Timestamp: now, Value: quantity(s.value),
		})
	}
	return list, nil
}

func (a *adapter) ListAllExternalMetrics() []provider.ExternalMetricInfo {
	out := make([]provider.ExternalMetricInfo, 0, len(a.cfg.ExternalRules))
	for _, r := range a.cfg.ExternalRules {
		out = append(out, provider.ExternalMetricInfo{Metric: r.metricName()})
	}
	return out
}

// GetPodMetrics serves metrics.k8s.io from resourceRules (containerQuery). Each pod's
// usage is reported on its first container (HMS pods have one).
func (a *adapter) GetPodMetrics(objs ...*metav1.PartialObjectMetadata) ([]metrics.PodMetrics, error) {
	if a.cfg.ResourceRules == nil {
		return nil, fmt.Errorf("no resourceRules configured")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	byNS := map[string][]*corev1.Pod{}
	for _, o := range objs {
		p, err := a.pods.Pods(o.Namespace).Get(o.Name)
		if err != nil || len(p.Spec.Containers) == 0 {
			continue
		}
		byNS[o.Namespace] = append(byNS[o.Namespace], p)
	}
	rr := a.cfg.ResourceRules
	now := metav1.Now()
	var out []metrics.PodMetrics
	for ns, pods := range byNS {
		cpu, err := a.podValues(ctx, rr.CPU.ContainerQuery, "", rr.CPU.Resources, ns, pods)
		if err != nil {
			return nil, err
		}
		mem, err := a.podValues(ctx, rr.Memory.ContainerQuery, "", rr.Memory.Resources, ns, pods)
		if err != nil {
			return nil, err
		}
		for _, p := range pods {
			c, okC := cpu[p.Name]
			m, okM := mem[p.Name]
			if !okC || !okM {
				continue
			}
			out = append(out, metrics.PodMetrics{
				ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: ns, Labels: p.Labels, CreationTimestamp: now},
				Timestamp:  now,
				Window:     metav1.Duration{Duration: time.Minute},
				Containers: []metrics.ContainerMetrics{{
					Name: p.Spec.Containers[0].Name,
					Usage: corev1.ResourceList{
						corev1.ResourceCPU:    quantity(c),
						corev1.ResourceMemory: *resource.NewQuantity(int64(m), resource.BinarySI),
					},
				}},
			})
		}
	}
	return out, nil
}

// GetNodeMetrics: simulated nodes have no usage of their own to report.
func (a *adapter) GetNodeMetrics(...*corev1.Node) ([]metrics.NodeMetrics, error) { return nil, nil }

// podMetadataLister shows pods to metrics-server's API code as it expects them:
// PartialObjectMetadata.
type podMetadataLister struct {
	pods corelisters.PodLister
	ns   string
}

func partial(p *corev1.Pod) runtime.Object {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: p.ObjectMeta}
}

func (l podMetadataLister) List(selector labels.Selector) ([]runtime.Object, error) {
	var pods []*corev1.Pod
	var err error
	if l.ns == "" {
		pods, err = l.pods.List(selector)
	} else {
		pods, err = l.pods.Pods(l.ns).List(selector)
	}
	out := make([]runtime.Object, 0, len(pods))
	for _, p := range pods {
		out = append(out, partial(p))
	}
	return out, err
}

func (l podMetadataLister) Get(name string) (runtime.Object, error) {
	p, err := l.pods.Pods(l.ns).Get(name)
	if err != nil {
		return nil, err
	}
	return partial(p), nil
}

func (l podMetadataLister) ByNamespace(ns string) cache.GenericNamespaceLister {
	return podMetadataLister{pods: l.pods, ns: ns}
}

// --------------------------------------------------------------------------- main

type command struct {
	basecmd.AdapterBase
	prometheusURL string
	configs       []string
	spread        bool
}

func main() {
	logs.InitLogs()
	defer logs.FlushLogs()

	cmd := &command{}
	cmd.Name = "hms-metrics-adapter"
	cmd.Flags().StringVar(&cmd.prometheusURL, "prometheus-url", "http://127.0.0.1:9090", "Prometheus to query")
	cmd.Flags().StringSliceVar(&cmd.configs, "config", nil, "rules files in prometheus-adapter's format (repeatable; rules add up, the last resourceRules win)")
	cmd.Flags().BoolVar(&cmd.spread, "spread-over-pods", false, "lab mode: a pod's series are those of job=<app.kubernetes.io/name>, their total divided among the pods")
	logs.AddFlags(cmd.Flags())
	if err := cmd.Flags().Parse(os.Args); err != nil {
		klog.Fatalf("flags: %v", err)
	}
	cfg, err := loadConfig(cmd.configs)
	if err != nil {
		klog.Fatalf("config: %v", err)
	}

	informers, err := cmd.Informers()
	if err != nil {
		klog.Fatalf("informers: %v", err)
	}
	podInformer := informers.Core().V1().Pods()
	a := &adapter{
		cfg:    cfg,
		prom:   &prometheus{base: strings.TrimSuffix(cmd.prometheusURL, "/"), client: &http.Client{Timeout: 5 * time.Second}},
		spread: cmd.spread,
		pods:   podInformer.Lister(),
	}
	cmd.WithCustomMetrics(a)
	cmd.WithExternalMetrics(a)
	namer := openapinamer.NewDefinitionNamer(cmapiserver.Scheme, metricsapi.Scheme)
	cmd.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openAPIDefinitions, namer)
	cmd.OpenAPIConfig.Info.Title, cmd.OpenAPIConfig.Info.Version = cmd.Name, "1.0.0"
	cmd.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openAPIDefinitions, namer)
	cmd.OpenAPIV3Config.Info.Title, cmd.OpenAPIV3Config.Info.Version = cmd.Name, "1.0.0"

	server, err := cmd.Server()
	if err != nil {
		klog.Fatalf("server: %v", err)
	}
	nodeLister := informers.Core().V1().Nodes().Lister()
	if err := metricsapi.Install(a, podMetadataLister{pods: a.pods}, nodeLister, server.GenericAPIServer, nil); err != nil {
		klog.Fatalf("metrics.k8s.io: %v", err)
	}
	ctx := context.Background()
	informers.Start(ctx.Done())
	informers.WaitForCacheSync(ctx.Done())
	klog.Infof("serving custom, external and resource metrics from %s (%d rules, %d external rules, spread=%v)",
		cmd.prometheusURL, len(cfg.Rules), len(cfg.ExternalRules), cmd.spread)
	if err := cmd.Run(ctx); err != nil {
		klog.Fatalf("run: %v", err)
	}
}
