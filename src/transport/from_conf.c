/* A libcurl transport set up from the http.* settings. */
#include "config/props.h"
#include "transport/transport.h"

sbi_transport *sbi_curl_transport_from_conf(const segb_config_t *conf,
                                            int gzip) {
  sbi_transport_options o;

  o.connect_timeout_ms = sbi_conf_int(conf, SBI_PROP_HTTP_CONNECT_TIMEOUT_MS);
  o.timeout_ms = sbi_conf_int(conf, SBI_PROP_HTTP_TIMEOUT_MS);
  o.ca_file = sbi_conf_str(conf, SBI_PROP_HTTP_CA_FILE);
  o.ca_path = sbi_conf_str(conf, SBI_PROP_HTTP_CA_PATH);
  o.proxy = sbi_conf_str(conf, SBI_PROP_HTTP_PROXY);
  o.gzip = gzip;
  return sbi_curl_transport_new(&o);
}
