// Package metrics exports the counters of a socket.Server to Prometheus.
//
// The server counts as it goes, on atomics that cost the traffic no lock
// and no allocation (socket.Server.Stats); the Collector reads them only
// when Prometheus scrapes. The core packages never import Prometheus:
// only programs that import this package do.
//
//	io := socket.NewServer(nil)
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(metrics.NewCollector(io, nil))
//	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// The metrics, under the prefix Options.Namespace ("socketio" by default):
//
//	socketio_sockets{namespace}                       gauge: sockets connected
//	socketio_connections_total                        sockets that joined a namespace
//	socketio_disconnections_total{reason}             sockets that left, by socket.DisconnectReason
//	socketio_refusals_total{reason}                   refused requests and CONNECTs, by socket.RefusalReason
//	socketio_packets_received_total{transport}        Engine.IO message packets from clients
//	socketio_packets_sent_total{transport}            Engine.IO message packets to clients
//	socketio_bytes_received_total{transport}          their payload bytes, before compression
//	socketio_bytes_sent_total{transport}
//	socketio_slow_clients_total{direction}            outbound: dropped; inbound: reading paused
//	socketio_ack_latency_seconds                      histogram: acks the server asked clients for
//	socketio_adapter_publishes_total{namespace}       cluster adapters that report counters
//	socketio_adapter_publish_errors_total{namespace}
//	socketio_adapter_publish_latency_seconds{namespace}
//	socketio_adapter_requests_total{namespace}
//	socketio_adapter_request_errors_total{namespace}
//	socketio_adapter_request_latency_seconds{namespace}
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/envivo/socketio/socket"
)

// Options configures a Collector. The zero value (or nil) is valid.
type Options struct {
	// Namespace prefixes every metric name ("socketio_sockets").
	// Default: "socketio".
	Namespace string
	// ConstLabels are added to every metric, such as a server id.
	// Default: none.
	ConstLabels prometheus.Labels
}

// Collector is a prometheus.Collector of a socket.Server's counters. It
// reads socket.Server.Stats once per scrape. It is safe for concurrent
// use.
type Collector struct {
	srv *socket.Server

	sockets, connections, disconnections, refusals             *prometheus.Desc
	packetsIn, packetsOut, bytesIn, bytesOut, slow, ackLatency *prometheus.Desc
	publishes, publishErrors, publishLatency                   *prometheus.Desc
	requests, requestErrors, requestLatency                    *prometheus.Desc
}

// NewCollector returns a Collector of srv's counters, configured by opts
// (nil for the defaults). Register it with a prometheus.Registerer.
func NewCollector(srv *socket.Server, opts *Options) *Collector {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Namespace == "" {
		o.Namespace = "socketio"
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(o.Namespace, "", name), help, labels, o.ConstLabels)
	}
	return &Collector{
		srv:            srv,
		sockets:        d("sockets", "Sockets connected to a namespace on this server.", "namespace"),
		connections:    d("connections_total", "Sockets that joined a namespace."),
		disconnections: d("disconnections_total", "Connected sockets that left, by reason.", "reason"),
		refusals:       d("refusals_total", "Refused requests and namespace CONNECTs, by category.", "reason"),
		packetsIn:      d("packets_received_total", "Engine.IO message packets received.", "transport"),
		packetsOut:     d("packets_sent_total", "Engine.IO message packets sent.", "transport"),
		bytesIn:        d("bytes_received_total", "Payload bytes of the message packets received.", "transport"),
		bytesOut:       d("bytes_sent_total", "Payload bytes of the message packets sent, before compression.", "transport"),
		slow:           d("slow_clients_total", "Slow clients: outbound, dropped for a full write queue; inbound, reading paused for a full event queue.", "direction"),
		ackLatency:     d("ack_latency_seconds", "Round trip of the acknowledgements the server asked clients for."),
		publishes:      d("adapter_publishes_total", "Messages the adapter published to the other servers.", "namespace"),
		publishErrors:  d("adapter_publish_errors_total", "Messages the adapter failed to publish.", "namespace"),
		publishLatency: d("adapter_publish_latency_seconds", "Time from queueing a message to the bus's reply.", "namespace"),
		requests:       d("adapter_requests_total", "Requests the adapter made to the other servers.", "namespace"),
		requestErrors:  d("adapter_request_errors_total", "Requests to the other servers that failed or timed out.", "namespace"),
		requestLatency: d("adapter_request_latency_seconds", "Time until every other server answered a request.", "namespace"),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sockets, c.connections, c.disconnections, c.refusals,
		c.packetsIn, c.packetsOut, c.bytesIn, c.bytesOut, c.slow, c.ackLatency,
		c.publishes, c.publishErrors, c.publishLatency, c.requests, c.requestErrors, c.requestLatency} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: one socket.Server.Stats
// snapshot per call.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(c.connections, st.Connections)
	for r, n := range st.Disconnections {
		counter(c.disconnections, n, string(r))
	}
	for r, n := range st.Refusals {
		counter(c.refusals, n, string(r))
	}
	for name, t := range map[string]socket.TransportStats{socket.Polling: st.Polling, socket.WebSocket: st.WebSocket} {
		counter(c.packetsIn, t.PacketsIn, name)
		counter(c.packetsOut, t.PacketsOut, name)
		counter(c.bytesIn, t.BytesIn, name)
		counter(c.bytesOut, t.BytesOut, name)
	}
	for d, n := range st.SlowClients {
		counter(c.slow, n, string(d))
	}
	ch <- histogram(c.ackLatency, st.AckLatency)
	for _, ns := range st.Namespaces {
		ch <- prometheus.MustNewConstMetric(c.sockets, prometheus.GaugeValue, float64(ns.Sockets), ns.Name)
		if a := ns.Adapter; a != nil {
			counter(c.publishes, a.Publishes, ns.Name)
			counter(c.publishErrors, a.PublishErrors, ns.Name)
			ch <- histogram(c.publishLatency, a.PublishLatency, ns.Name)
			counter(c.requests, a.Requests, ns.Name)
			counter(c.requestErrors, a.RequestErrors, ns.Name)
			ch <- histogram(c.requestLatency, a.RequestLatency, ns.Name)
		}
	}
}

// histogram converts h to a Prometheus histogram in seconds, whose
// buckets are cumulative.
func histogram(d *prometheus.Desc, h socket.Histogram, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	var cum uint64
	for i, b := range h.Bounds {
		cum += h.Counts[i]
		buckets[b.Seconds()] = cum
	}
	return prometheus.MustNewConstHistogram(d, h.Count(), h.Sum.Seconds(), buckets, labels...)
}
