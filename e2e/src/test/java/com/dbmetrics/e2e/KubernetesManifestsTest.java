package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.poller.cli.CreateTopicsConfig;
import com.dbmetrics.poller.prometheus.PrometheusAuth;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import com.dbmetrics.streams.StreamsAppConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * deploy/k8s, checked without a cluster (none runs on these machines). Every document is parsed strictly into the
 * typed Kubernetes model class its apiVersion and kind name: a field the API does not know (the model classes would
 * keep it in {@code additionalProperties}), a value of the wrong type, a duplicated key or an unknown kind fails.
 * Then the objects are checked against each other (selectors, ports, references to ConfigMaps and Secrets, the
 * headless Service, the autoscaler, the disruption budgets, the Prometheus scrape configuration, the kustomization)
 * and against the code: each container sets every variable its service's configuration record reads, nothing else,
 * and the resolved environment passes that record's own validation; probes and scrapes hit the ports on which the
 * configured servers really serve those paths. Parsed with Jackson 3 (tools.jackson), the databind the fabric8 8
 * model's own serialisers (Quantity, IntOrString) are written for.
 */
class KubernetesManifestsTest {

    private static final Path DIR = Path.of("..", "deploy", "k8s").toAbsolutePath().normalize();
    private static final String KUSTOMIZATION = "kustomization.yaml";

    /** Scalars are never coerced (a quoted port or an unquoted ConfigMap number is refused), keys never repeat. */
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    /** The kinds the manifests may hold, by apiVersion/kind, each with the model class it must parse into. */
    private static final Map<String, Class<? extends HasMetadata>> TYPES = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "v1/Service", Service.class,
            "apps/v1/Deployment", Deployment.class,
            "apps/v1/StatefulSet", StatefulSet.class,
            "batch/v1/Job", Job.class,
            "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class);

    /** Our three services: workload name → the configuration record its process reads. */
    private static final Map<String, Class<?>> SERVICES = Map.of(
            "poller", PollerConfig.class, "streams-app", StreamsAppConfig.class, "query-api", ApiConfig.class);

    /** Variables a service container may set beyond its configuration record's: the JVM's and the downward API's. */
    private static final Set<String> EXTRA_VARIABLES = Set.of("JAVA_TOOL_OPTIONS", "POD_NAME", "POD_NAMESPACE");

    /**
     * The shared client settings each workload's process also reads (Kafka, Redis, the poller's Prometheus), their
     * credentials' {@code _FILE} variants included: optional in the code, so set where the deployment needs them.
     */
    private static final Map<String, Set<String>> CLIENT_VARIABLES = Map.of(
            "poller", ConfigVariables.optional(KafkaClientSettings.class, PrometheusAuth.class),
            "streams-app", ConfigVariables.optional(KafkaClientSettings.class, RedisEndpoint.class),
            "query-api", ConfigVariables.optional(RedisEndpoint.class),
            "kafka-topics", ConfigVariables.optional(KafkaClientSettings.class));

    /** Variables that would hold a credential itself: set (if at all) empty, the credential comes from a file. */
    private static final Set<String> CREDENTIAL_VALUES = Set.of(ApiConfig.AUTH_JWT_SECRET, ApiConfig.STREAMS_IQ_TOKEN,
            KafkaClientSettings.KAFKA_SASL_PASSWORD, KafkaClientSettings.KAFKA_SASL_JAAS_CONFIG,
            RedisEndpoint.REDIS_PASSWORD, PrometheusAuth.PROMETHEUS_PASSWORD);

    /** Stands in for every mounted Secret file (valid for each: at least 32 bytes) when an environment is validated. */
    private static final String TEST_SECRET = "kubernetes-manifests-test-secret-0123456789";

    private static List<HasMetadata> objects;
    private static Map<HasMetadata, String> files;

    @BeforeAll
    static void parseEveryManifest() throws IOException {
        objects = new ArrayList<>();
        files = new IdentityHashMap<>();
        for (String file : manifestFiles()) {
            List<HasMetadata> parsed = parseStrictly(Files.readString(DIR.resolve(file)), file);
            assertThat(parsed).as("objects in %s", file).isNotEmpty();
            for (HasMetadata object : parsed) {
                objects.add(object);
                files.put(object, file);
            }
        }
    }

    @Test
    void shouldHoldEachComponentOnceWithAUniqueName() {
        Map<String, Long> kinds = objects.stream().collect(Collectors.groupingBy(HasMetadata::getKind,
                TreeMap::new, Collectors.counting()));
        assertThat(kinds).containsEntry("Deployment", 3L).containsEntry("StatefulSet", 1L)
                .containsEntry("HorizontalPodAutoscaler", 1L).containsEntry("PodDisruptionBudget", 3L)
                .containsEntry("Secret", 6L).containsEntry("Namespace", 1L).containsKey("ConfigMap")
                .containsKey("Service");
        Set<String> seen = new TreeSet<>();
        for (HasMetadata object : objects) {
            assertThat(seen.add(object.getKind() + "/" + object.getMetadata().getName()))
                    .as("%s %s is defined once", object.getKind(), object.getMetadata().getName()).isTrue();
        }
        assertThat(workloads().keySet()).containsAll(SERVICES.keySet()).contains("redis");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            misspelled field      | 'replicas: 3'         | 'replica: 3'                  | spec.replica
            misspelled probe      | 'livenessProbe:'      | 'livenessprobe:'              | containers[0].livenessprobe
            unknown field         | '  selector:'         | '  selectors:'                | spec.selectors
            quoted port number    | 'containerPort: 8080' | 'containerPort: "8080"'       | Cannot coerce
            unquoted number value | 'API_PORT: "8080"'    | 'API_PORT: 8080'              | data.API_PORT
            unquoted flag value   | 'FLAG: "true"'        | 'FLAG: true'                  | data.FLAG
            scalar for a list     | 'command: [serve]'    | 'command: serve'              | does not parse
            duplicated key        | 'replicas: 3'         | 'replicas: 3\\n  replicas: 2' | Duplicate
            unmodelled apiVersion | 'apiVersion: apps/v1' | 'apiVersion: apps/v1beta1'    | no model for apps/v1beta1
            invalid quantity      | 'cpu: 100m'           | 'cpu: 100mm'                  | resources.requests.cpu
            """)
    void shouldRejectManifestsWithMistakes(String mistake, String correct, String wrong, String clue) {
        assertThatCode(() -> parseStrictly(SAMPLE, "sample")).as("the sample without the mistake")
                .doesNotThrowAnyException();
        assertThat(SAMPLE).contains(correct);
        String broken = SAMPLE.replaceFirst(Pattern.quote(correct),
                Matcher.quoteReplacement(wrong.replace("\\n", "\n")));
        assertThatThrownBy(() -> parseStrictly(broken, "sample")).as(mistake).isInstanceOf(AssertionError.class)
                .hasMessageContaining(clue);
    }

    /** A small valid Deployment and ConfigMap that the rejection test breaks in one place at a time. */
    private static final String SAMPLE = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: sample
            spec:
              replicas: 3
              selector:
                matchLabels: {app: sample}
              template:
                metadata:
                  labels: {app: sample}
                spec:
                  containers:
                    - name: sample
                      image: sample:1
                      command: [serve]
                      resources:
                        requests: {cpu: 100m}
                      ports:
                        - name: http
                          containerPort: 8080
                      livenessProbe:
                        httpGet: {path: /healthz, port: http}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: sample
            data:
              API_PORT: "8080"
              FLAG: "true"
            """;

    @Test
    void shouldKeepEveryObjectInOneNamespaceAndPartOfDbmetrics() throws IOException {
        List<Namespace> namespaces = all(Namespace.class);
        assertThat(namespaces).hasSize(1);
        String namespace = namespaces.get(0).getMetadata().getName();
        assertThat(kustomization().path("namespace").asString()).isEqualTo(namespace);
        for (HasMetadata object : objects) {
            if (!(object instanceof Namespace)) {
                assertThat(object.getMetadata().getNamespace()).as("namespace of %s", describe(object))
                        .isEqualTo(namespace);
            }
            assertThat(object.getMetadata().getLabels()).as("labels of %s", describe(object))
                    .containsEntry("app.kubernetes.io/part-of", "dbmetrics");
        }
    }

    @Test
    void shouldListEveryManifestInTheKustomization() throws IOException {
        JsonNode kustomization = kustomization();
        assertThat(names(kustomization)).isSubsetOf("apiVersion", "kind", "namespace", "resources", "images");
        assertThat(kustomization.path("apiVersion").asString()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(kustomization.path("kind").asString()).isEqualTo("Kustomization");
        List<String> resources = new ArrayList<>();
        kustomization.path("resources").forEach(r -> resources.add(r.asString()));
        assertThat(resources).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(manifestFiles());
        Set<String> images = new TreeSet<>();
        for (JsonNode image : kustomization.path("images")) {
            assertThat(names(image)).isSubsetOf("name", "newName", "newTag", "digest");
            images.add(image.path("name").asString());
        }
        for (String service : SERVICES.keySet()) {
            String image = container(service).getImage();
            assertThat(images).as("the kustomization can retarget the image of %s", service)
                    .contains(image.substring(0, image.lastIndexOf(':')));
        }
    }

    @Test
    void shouldSelectThePodsOfExactlyOneWorkloadWithEveryServiceSelectorAndBudget() {
        for (Workload workload : workloads().values()) {
            if (workload.selector() != null) {
                assertThat(workload.selector().getMatchExpressions()).isEmpty();
                assertThat(workload.labels()).as("pod labels of %s", workload.name())
                        .containsAllEntriesOf(workload.selector().getMatchLabels());
            }
            for (TopologySpreadConstraint spread : workload.template().getSpec().getTopologySpreadConstraints()) {
                assertThat(workload.labels()).as("spread constraint of %s", workload.name())
                        .containsAllEntriesOf(spread.getLabelSelector().getMatchLabels());
            }
        }
        for (Service service : all(Service.class)) {
            Workload workload = selectedWorkload(service.getSpec().getSelector(), describe(service));
            for (ServicePort port : service.getSpec().getPorts()) {
                assertThat(port.getName()).as("ports of %s are named", describe(service)).isNotBlank();
                assertThat(containerPort(workload, port.getTargetPort()))
                        .as("%s port %s targets a port of %s", describe(service), port.getName(), workload.name())
                        .isPresent();
            }
        }
        Set<String> budgeted = new TreeSet<>();
        for (PodDisruptionBudget budget : all(PodDisruptionBudget.class)) {
            LabelSelector selector = budget.getSpec().getSelector();
            assertThat(selector.getMatchExpressions()).isEmpty();
            Workload workload = selectedWorkload(selector.getMatchLabels(), describe(budget));
            budgeted.add(workload.name());
            assertThat(budget.getSpec().getMinAvailable()).isNull();
            assertThat(budget.getSpec().getMaxUnavailable().getIntVal())
                    .as("%s lets one pod go at a time", describe(budget)).isEqualTo(1);
        }
        assertThat(budgeted).containsAll(SERVICES.keySet());
    }

    @Test
    void shouldScaleTheQueryApiFromThreeToTwentyReplicasAtSeventyPercentCpu() {
        List<HorizontalPodAutoscaler> autoscalers = all(HorizontalPodAutoscaler.class);
        assertThat(autoscalers).hasSize(1);
        HorizontalPodAutoscaler hpa = autoscalers.get(0);
        assertThat(hpa.getSpec().getScaleTargetRef().getApiVersion()).isEqualTo("apps/v1");
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("query-api");
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(3);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(20);
        assertThat(hpa.getSpec().getMetrics()).hasSize(1);
        MetricSpec metric = hpa.getSpec().getMetrics().get(0);
        assertThat(metric.getType()).isEqualTo("Resource");
        assertThat(metric.getResource().getName()).isEqualTo("cpu");
        assertThat(metric.getResource().getTarget().getType()).isEqualTo("Utilization");
        assertThat(metric.getResource().getTarget().getAverageUtilization()).isEqualTo(70);
        Deployment api = named(Deployment.class, "query-api");
        assertThat(api.getSpec().getReplicas()).as("replicas are the autoscaler's, not the manifest's").isNull();
        for (Container container : api.getSpec().getTemplate().getSpec().getContainers()) {
            assertThat(container.getResources().getRequests()).as("utilisation is measured against the request")
                    .containsKey("cpu");
        }
    }

    @Test
    void shouldGiveEachStreamsAppPodAStableNameAPersistentStateDirAndStandbys() {
        StatefulSet streams = named(StatefulSet.class, "streams-app");
        Service headless = named(Service.class, streams.getSpec().getServiceName());
        assertThat(headless.getSpec().getClusterIP()).as("the StatefulSet's Service is headless").isEqualTo("None");
        assertThat(selectedWorkload(headless.getSpec().getSelector(), describe(headless)).name())
                .isEqualTo("streams-app");
        int replicas = streams.getSpec().getReplicas();
        assertThat(replicas).isGreaterThanOrEqualTo(2);
        Workload workload = workloads().get("streams-app");
        String namespace = streams.getMetadata().getNamespace();
        for (int i = 0; i < replicas; i++) {
            String pod = "streams-app-" + i;
            StreamsAppConfig config = StreamsAppConfig.fromEnv(startEnvironment(workload, container("streams-app"), pod));
            assertThat(config.applicationServer().host())
                    .isEqualTo(pod + "." + headless.getMetadata().getName() + "." + namespace + ".svc.cluster.local");
            assertThat(containerPort(workload, new IntOrString(config.applicationServer().port()))).isPresent();
            assertThat(config.standbyReplicas()).isBetween(1, replicas - 1);
            assertThat(container("streams-app").getVolumeMounts())
                    .as("%s (STREAMS_STATE_DIR) is on a persistent volume claim", config.stateDir())
                    .anyMatch(m -> workload.claims().contains(m.getName())
                            && config.stateDir().startsWith(m.getMountPath()));
        }
        for (PersistentVolumeClaim claim : streams.getSpec().getVolumeClaimTemplates()) {
            assertThat(claim.getSpec().getResources().getRequests()).containsKey("storage");
        }
    }

    @Test
    void shouldPinEveryImageToAVersionNeverLatest() throws IOException {
        for (Workload workload : workloads().values()) {
            for (Container container : workload.template().getSpec().getContainers()) {
                String image = container.getImage();
                assertThat(image).as("%s of %s names a tag", image, workload.name()).contains(":");
                assertThat(image.substring(image.lastIndexOf(':') + 1)).as("tag of %s", image).isNotEqualTo("latest");
            }
        }
        for (JsonNode image : kustomization().path("images")) {
            assertThat(image.path("newTag").asText()).as("kustomization tag of %s", image.path("name").asText())
                    .isNotBlank().isNotEqualTo("latest");
        }
    }

    @Test
    void shouldEnforceTheRestrictedPodSecurityStandardOnTheNamespace() {
        Map<String, String> labels = named(Namespace.class, "dbmetrics").getMetadata().getLabels();
        assertThat(labels).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        for (Workload workload : workloads().values()) {
            var pod = workload.template().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as("%s runs as non-root", workload.name()).isTrue();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            for (Container c : pod.getContainers()) {
                assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as("%s of %s", c.getName(),
                        workload.name()).isFalse();
                assertThat(c.getSecurityContext().getCapabilities().getDrop()).contains("ALL");
            }
        }
    }

    @Test
    void shouldDenyIngressExceptWhatEachPortNeeds() {
        NetworkPolicy deny = named(NetworkPolicy.class, "default-deny-ingress");
        assertThat(deny.getSpec().getPodSelector().getMatchLabels()).as("selects every pod").isNullOrEmpty();
        assertThat(deny.getSpec().getPolicyTypes()).containsExactly("Ingress");
        assertThat(deny.getSpec().getIngress()).as("admits nothing").isNullOrEmpty();

        // the internal IQ port: only query-api and streams-app pods
        assertThat(peersAdmittedTo("streams-app", "iq")).containsExactlyInAnyOrder("query-api", "streams-app");
        // Redis: only the apps that use it
        assertThat(peersAdmittedTo("redis", "redis")).containsExactlyInAnyOrder("query-api", "streams-app");
        // management ports: only Prometheus
        for (String app : List.of("query-api", "streams-app", "poller")) {
            assertThat(peersAdmittedTo(app, "management")).as("management port of %s", app)
                    .containsExactly("prometheus");
        }
    }

    /**
     * The app names ({@code app.kubernetes.io/name}) of the pods the policies admit to a named container port of
     * {@code app}'s pods; "*" for a rule without {@code from} (anyone). Fails on a rule naming a port the pods lack.
     */
    private static Set<String> peersAdmittedTo(String app, String portName) {
        Workload workload = workloads().get(app);
        Set<String> ports = workload.template().getSpec().getContainers().stream()
                .flatMap(c -> c.getPorts().stream()).map(ContainerPort::getName).collect(Collectors.toSet());
        Set<String> peers = new TreeSet<>();
        for (NetworkPolicy policy : all(NetworkPolicy.class)) {
            Map<String, String> selects = policy.getSpec().getPodSelector().getMatchLabels();
            if (selects == null || selects.isEmpty() || !workload.labels().entrySet().containsAll(selects.entrySet())) {
                continue;
            }
            for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
                for (NetworkPolicyPort port : rule.getPorts()) {
                    assertThat(ports).as("%s names a port of %s", describe(policy), app)
                            .contains(port.getPort().getStrVal());
                }
                if (rule.getPorts().stream().noneMatch(p -> portName.equals(p.getPort().getStrVal()))) {
                    continue;
                }
                if (rule.getFrom() == null || rule.getFrom().isEmpty()) {
                    peers.add("*");
                }
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    assertThat(peer.getIpBlock()).as("%s admits pods, not addresses", describe(policy)).isNull();
                    peers.add(peer.getPodSelector().getMatchLabels().get("app.kubernetes.io/name"));
                }
            }
        }
        return peers;
    }

    @Test
    void shouldCheckTheTokenAudience() {
        Map<String, String> env = environment(workloads().get("query-api"), container("query-api"), "query-api-1");
        assertThat(env.get(ApiConfig.AUTH_JWT_AUDIENCE)).as("AUTH_JWT_AUDIENCE").isNotBlank();
    }

    @Test
    void shouldRunTwoPollersThatElectTheActiveOne() {
        Deployment poller = named(Deployment.class, "poller");
        assertThat(poller.getSpec().getReplicas()).isEqualTo(2);
        Workload workload = workloads().get("poller");
        PollerConfig a = PollerConfig.fromEnv(startEnvironment(workload, container("poller"), "poller-7d9f-a"));
        PollerConfig b = PollerConfig.fromEnv(startEnvironment(workload, container("poller"), "poller-7d9f-b"));
        assertThat(a.election()).isTrue();
        assertThat(a.pollerId()).as("each pod reports under its own id").isNotEqualTo(b.pollerId());
        assertThat(a.transactionalId()).isEqualTo(b.transactionalId());
    }

    @Test
    void shouldSetEveryVariableEachServiceReadsAndNothingElse() {
        for (Map.Entry<String, Class<?>> service : SERVICES.entrySet()) {
            Workload workload = workloads().get(service.getKey());
            assertThat(workload.template().getSpec().getContainers()).hasSize(1);
            Map<String, String> env = environment(workload, container(service.getKey()), podName(workload));
            Set<String> read = ConfigVariables.of(service.getValue());
            assertThat(env.keySet()).as("variables of %s", service.getKey()).containsAll(read);
            Set<String> unread = new TreeSet<>(env.keySet());
            unread.removeAll(read);
            unread.removeAll(CLIENT_VARIABLES.get(service.getKey()));
            assertThat(unread).as("variables %s sets that its configuration does not read (a typo?)",
                    service.getKey()).isSubsetOf(EXTRA_VARIABLES);
            Map<String, String> started = startEnvironment(workload, container(service.getKey()), podName(workload));
            assertThatCode(() -> parseConfig(service.getKey(), started))
                    .as("%s accepts its configuration", service.getKey()).doesNotThrowAnyException();
        }
    }

    @Test
    void shouldRefuseToStartTheQueryApiWithThePlaceholderSecret() throws Exception {
        Map<String, String> env = new LinkedHashMap<>(
                startEnvironment(workloads().get("query-api"), container("query-api"), "query-api-1"));
        String placeholder = secretValues(named(Secret.class, "dbmetrics-jwt")).get(ApiConfig.AUTH_JWT_SECRET);
        assertThat(placeholder).as("the placeholder says what to do").contains("REPLACE");
        // the Secret is mounted as the file AUTH_JWT_SECRET_FILE names: stand in for the mount
        java.nio.file.Path mounted = java.nio.file.Files.createTempFile("k8s-jwt-placeholder", ".secret");
        mounted.toFile().deleteOnExit();
        env.put(ApiConfig.AUTH_JWT_SECRET_FILE, java.nio.file.Files.writeString(mounted, placeholder).toString());
        assertThatThrownBy(() -> ApiConfig.fromEnv(env)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(ApiConfig.AUTH_JWT_SECRET_FILE);
    }

    @Test
    void shouldRefuseToStartWithAnySecretsPlaceholder() {
        // every key of every Secret is checked below: by the process that reads it, or by Redis for its own files
        Set<String> checked = new TreeSet<>();
        for (String service : CLIENT_VARIABLES.keySet()) {
            Workload workload = workloads().get(service);
            Container container = container(service);
            Map<String, String> env = environment(workload, container, podName(workload));
            Map<String, MountedFile> files = mountedFiles(workload, container);
            for (Map.Entry<String, String> variable : env.entrySet()) {
                MountedFile placeholder = files.get(variable.getValue());
                if (placeholder == null || !placeholder.secret()) {
                    continue;
                }
                // this one file holds what the Secret holds as shipped, every other mounted Secret a valid stand-in
                Map<String, String> started = withMountedFiles(env, files,
                        f -> f == placeholder ? f.content() : f.secret() ? TEST_SECRET : f.content());
                assertThatThrownBy(() -> parseConfig(service, started))
                        .as("%s with the placeholder of Secret %s key %s in %s", service, placeholder.name(),
                                placeholder.key(), variable.getKey())
                        .isInstanceOf(ConfigException.class).hasMessageContaining(variable.getKey());
                checked.add(placeholder.name() + "/" + placeholder.key());
            }
        }
        Workload redis = workloads().get("redis");
        for (MountedFile file : mountedFiles(redis, container("redis")).values()) {
            if (!file.secret()) {
                continue;
            }
            if (file.key().endsWith(".acl")) {
                // Redis refuses to start when an ACL file has a line that is not a user declaration (no comments)
                assertThat(file.content().lines().filter(l -> !l.isBlank()))
                        .as("the placeholder ACL file %s/%s", file.name(), file.key())
                        .anyMatch(l -> !l.startsWith("user "));
            } else {
                // Redis cannot load a certificate or key that is no PEM
                assertThat(file.content()).as("placeholder %s/%s", file.name(), file.key()).contains("REPLACE")
                        .doesNotContain("-----BEGIN");
            }
            checked.add(file.name() + "/" + file.key());
        }
        Set<String> keys = new TreeSet<>();
        all(Secret.class).forEach(secret -> secretValues(secret).keySet()
                .forEach(k -> keys.add(secret.getMetadata().getName() + "/" + k)));
        assertThat(checked).as("Secret keys whose placeholder is shown to be refused").isEqualTo(keys);
    }

    @Test
    void shouldKeepEverySecretOutOfTheEnvironmentAndInFilesOnlyThePodCanRead() {
        for (Workload workload : workloads().values()) {
            var pod = workload.template().getSpec();
            for (Container container : pod.getContainers()) {
                String where = workload.name() + "/" + container.getName();
                for (EnvFromSource source : container.getEnvFrom()) {
                    assertThat(source.getSecretRef()).as("%s takes no variables from a Secret", where).isNull();
                }
                for (EnvVar variable : container.getEnv()) {
                    assertThat(variable.getValueFrom() == null ? null : variable.getValueFrom().getSecretKeyRef())
                            .as("%s: %s comes from no Secret", where, variable.getName()).isNull();
                }
                Map<String, String> env = environment(workload, container, podName(workload));
                for (String credential : CREDENTIAL_VALUES) {
                    assertThat(env.getOrDefault(credential, "")).as("%s: %s holds no credential", where, credential)
                            .isEmpty();
                }
                assertThat(env.getOrDefault(RedisEndpoint.REDIS_URL, "redis://x")).as("%s: REDIS_URL", where)
                        .doesNotContain("@");
                Map<String, MountedFile> files = mountedFiles(workload, container);
                env.forEach((name, value) -> {
                    if (name.endsWith("_FILE") && !value.isEmpty()
                            && CREDENTIAL_VALUES.contains(name.substring(0, name.length() - "_FILE".length()))) {
                        assertThat(files.get(value)).as("%s: %s names a file mounted from a Secret", where, name)
                                .isNotNull().matches(MountedFile::secret);
                    }
                });
                for (MountedFile file : files.values()) {
                    if (file.secret()) {
                        assertThat(file.mode()).as("%s: mode of %s/%s", where, file.name(), file.key())
                                .isEqualTo(0400);
                        // a Secret file is owned by root; the pod's fsGroup makes it readable to its non-root user
                        assertThat(pod.getSecurityContext().getFsGroup()).as("%s: fsGroup", where)
                                .isEqualTo(pod.getSecurityContext().getRunAsGroup());
                    }
                }
            }
        }
    }

    @Test
    void shouldReachKafkaRedisAndPrometheusAuthenticatedAndEncryptedEachAsItsOwnUser() {
        Map<String, KafkaClientSettings> kafka = new TreeMap<>();
        Map<String, RedisEndpoint> redis = new TreeMap<>();
        PollerConfig poller = (PollerConfig) startConfig("poller");
        StreamsAppConfig streams = (StreamsAppConfig) startConfig("streams-app");
        ApiConfig api = (ApiConfig) startConfig("query-api");
        kafka.put("poller", poller.kafka());
        kafka.put("streams-app", streams.kafka());
        kafka.put("kafka-topics", ((CreateTopicsConfig) startConfig("kafka-topics")).kafka());
        redis.put("streams-app", streams.redis());
        redis.put("query-api", api.redis());
        kafka.forEach((who, settings) -> {
            assertThat(settings.securityProtocol()).as("Kafka protocol of %s", who).isEqualTo("SASL_SSL");
            assertThat(settings.saslMechanism()).as("SASL mechanism of %s", who).isEqualTo("SCRAM-SHA-512");
            assertThat(settings.saslUsername()).as("Kafka user of %s", who).isNotBlank();
            assertThat(settings.saslPassword()).as("Kafka password of %s", who).isNotNull();
            assertThat(settings.saslPassword().source()).isEqualTo(KafkaClientSettings.KAFKA_SASL_PASSWORD + "_FILE");
            assertThat(settings.caFile()).as("brokers' CA of %s", who).isNotNull();
        });
        assertThat(kafka.values().stream().map(KafkaClientSettings::saslUsername).distinct())
                .as("each workload is its own Kafka principal").hasSize(kafka.size());
        redis.forEach((who, endpoint) -> {
            assertThat(endpoint.tls()).as("Redis of %s over TLS", who).isTrue();
            assertThat(endpoint.caFile()).as("Redis' CA of %s", who).isNotNull();
            assertThat(endpoint.username()).as("Redis user of %s", who).isNotBlank();
            assertThat(endpoint.password()).as("Redis password of %s", who).isNotNull();
            assertThat(endpoint.password().source()).isEqualTo(RedisEndpoint.REDIS_PASSWORD + "_FILE");
        });
        assertThat(redis.values().stream().map(RedisEndpoint::username).distinct())
                .as("each app is its own Redis user").hasSize(redis.size());
        assertThat(poller.prometheusUrl().getScheme()).isEqualTo("https");
        assertThat(poller.prometheusAuth().username()).isNotBlank();
        assertThat(poller.prometheusAuth().password().source()).isEqualTo(PrometheusAuth.PROMETHEUS_PASSWORD_FILE);
        assertThat(poller.prometheusAuth().caFile()).isNotNull();
        // Redis itself: TLS only, the users of its ACL file
        List<String> args = container("redis").getArgs();
        assertThat(args.get(args.indexOf("--port") + 1)).as("no plaintext port").isEqualTo("0");
        assertThat(args).contains("--tls-port", "--tls-cert-file", "--tls-key-file", "--aclfile");
        assertThat(args.get(args.indexOf("--tls-port") + 1)).isEqualTo(Integer.toString(streams.redis().port()));
        Map<String, MountedFile> redisFiles = mountedFiles(workloads().get("redis"), container("redis"));
        for (String file : List.of("--tls-cert-file", "--tls-key-file", "--tls-ca-cert-file", "--aclfile")) {
            assertThat(redisFiles).as("Redis' %s is mounted", file).containsKey(args.get(args.indexOf(file) + 1));
        }
    }

    @Test
    void shouldBindEveryServerOnThePodsAddresses() {
        // reached on the pod IP by the Service, the other instances and Prometheus; the NetworkPolicies are the wall
        assertThat(((PollerConfig) startConfig("poller")).bindHost()).isEqualTo("0.0.0.0");
        StreamsAppConfig streams = (StreamsAppConfig) startConfig("streams-app");
        assertThat(streams.iqBindHost()).isEqualTo("0.0.0.0");
        assertThat(streams.managementBindHost()).isEqualTo("0.0.0.0");
        assertThat(((ApiConfig) startConfig("query-api")).bindHost()).isEqualTo("0.0.0.0");
    }

    @Test
    void shouldRunTheTopicsJobWithTheSecuredKafkaSettingsOfThePoller() {
        Workload job = workloads().get("kafka-topics");
        Map<String, String> topics = environment(job, container("kafka-topics"), podName(job));
        Workload poller = workloads().get("poller");
        Map<String, String> pollers = environment(poller, container("poller"), podName(poller));
        for (String shared : List.of(KafkaClientSettings.KAFKA_BOOTSTRAP_SERVERS,
                KafkaClientSettings.KAFKA_SECURITY_PROTOCOL, KafkaClientSettings.KAFKA_SASL_MECHANISM,
                KafkaClientSettings.KAFKA_SSL_CA_FILE)) {
            assertThat(topics.get(shared)).as(shared).isNotBlank().isEqualTo(pollers.get(shared));
        }
        CreateTopicsConfig config = (CreateTopicsConfig) startConfig("kafka-topics");
        assertThat(config.kafka().clientProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsKeys("sasl.jaas.config", "ssl.truststore.location");
        assertThat(config.kafka().saslUsername()).isNotEqualTo(((PollerConfig) startConfig("poller")).kafka()
                .saslUsername());
    }

    /** A workload's configuration as its process reads it at start (mounted files standing in, valid secrets). */
    private static Object startConfig(String workload) {
        Workload w = workloads().get(workload);
        return parseConfig(workload, startEnvironment(w, container(workload), podName(w)));
    }

    @Test
    void shouldReferenceOnlyConfigMapsSecretsKeysAndVolumesThatExist() {
        for (Workload workload : workloads().values()) {
            Set<String> volumes = new TreeSet<>();
            for (Volume volume : workload.template().getSpec().getVolumes()) {
                volumes.add(volume.getName());
                if (volume.getConfigMap() != null) {
                    named(ConfigMap.class, volume.getConfigMap().getName());
                }
                if (volume.getSecret() != null) {
                    named(Secret.class, volume.getSecret().getSecretName());
                }
            }
            volumes.addAll(workload.claims());
            for (Container container : workload.template().getSpec().getContainers()) {
                // resolving looks up every envFrom source and every key reference, and fails on a missing one
                Map<String, String> env = environment(workload, container, podName(workload));
                env.forEach((name, value) -> assertThat(value).as("%s of %s is fully expanded", name, workload.name())
                        .doesNotContain("$("));
                for (VolumeMount mount : container.getVolumeMounts()) {
                    assertThat(volumes).as("volumes of %s", workload.name()).contains(mount.getName());
                }
                // every item a volume mounts is a key of its Secret or ConfigMap
                mountedFiles(workload, container);
            }
        }
    }

    @Test
    void shouldCreateTheTopicsWithThePollerJarsOneDefinition() {
        Workload job = workloads().get("kafka-topics");
        Container container = container("kafka-topics");
        assertThat(container.getImage()).as("the poller's image").isEqualTo(container("poller").getImage());
        assertThat(container.getCommand()).as("the image's entry point runs the jar").isEmpty();
        assertThat(container.getArgs()).containsExactly("create-topics");
        Map<String, String> env = environment(job, container, podName(job));
        Set<String> allowed = new TreeSet<>(ConfigVariables.of(CreateTopicsConfig.class));
        allowed.addAll(CLIENT_VARIABLES.get("kafka-topics"));
        allowed.addAll(EXTRA_VARIABLES);
        assertThat(env.keySet()).as("variables of the kafka-topics Job").isSubsetOf(allowed)
                .contains(CreateTopicsConfig.KAFKA_BOOTSTRAP_SERVERS);
        CreateTopicsConfig topics = CreateTopicsConfig.fromEnv(startEnvironment(job, container, podName(job)));
        Workload poller = workloads().get("poller");
        PollerConfig pollerConfig = PollerConfig.fromEnv(startEnvironment(poller, container("poller"), podName(poller)));
        assertThat(topics.kafkaBootstrapServers()).isEqualTo(pollerConfig.kafkaBootstrapServers());
        assertThat(topics.topics()).extracting(t -> t.name()).containsExactly(Topics.SNAPSHOTS, Topics.LATEST,
                Topics.POLLER_STATUS, Topics.SNAPSHOTS_DLQ, Topics.POLLER_ELECTION);
        assertThat(topics.topics().get(0).numPartitions()).as("as the poller would create it")
                .isEqualTo(pollerConfig.snapshotPartitions());
        assertThat(topics.snapshotsRetention()).as("as the poller would create it")
                .isEqualTo(pollerConfig.snapshotRetention());
    }

    @Test
    void shouldPointTheQueryApiAndTheStreamsAppAtServicesThatExist() {
        ApiConfig api = ApiConfig.fromEnv(startEnvironment(workloads().get("query-api"),
                container("query-api"), "query-api-1"));
        StatefulSet streams = named(StatefulSet.class, "streams-app");
        Set<Integer> pods = new TreeSet<>();
        for (URI url : api.streamsIqUrls()) {
            String[] host = url.getHost().split("\\.", 2);
            assertThat(host).as("%s names a streams-app pod through its headless Service", url).hasSize(2);
            String headless = streams.getSpec().getServiceName();
            assertThat(host[1]).isIn(headless,
                    headless + "." + streams.getMetadata().getNamespace() + ".svc.cluster.local");
            assertThat(host[0]).startsWith("streams-app-");
            pods.add(Integer.parseInt(host[0].substring("streams-app-".length())));
            assertThat(servicePort(named(Service.class, streams.getSpec().getServiceName()), url.getPort()))
                    .as("%s reaches a port of the headless Service", url).isPresent();
        }
        assertThat(pods).as("STREAMS_IQ_URLS lists every streams-app replica")
                .containsExactlyElementsOf(Stream.iterate(0, i -> i + 1).limit(streams.getSpec().getReplicas())
                        .collect(Collectors.toList()));
        StreamsAppConfig streamsConfig = StreamsAppConfig.fromEnv(startEnvironment(workloads().get("streams-app"),
                container("streams-app"), "streams-app-0"));
        for (com.dbmetrics.schemas.config.RedisEndpoint redis : List.of(api.redis(), streamsConfig.redis())) {
            Service service = named(Service.class, redis.host());
            assertThat(servicePort(service, redis.port())).as("%s reaches a port of its Service", redis.describe())
                    .isPresent();
            assertThat(selectedWorkload(service.getSpec().getSelector(), describe(service)).name()).isEqualTo("redis");
        }
    }

    @Test
    void shouldProbeHealthEndpointsOnThePortsThatServeThem() {
        for (String service : SERVICES.keySet()) {
            Workload workload = workloads().get(service);
            Container container = container(service);
            Map<Integer, Set<String>> served = servedPaths(service, startEnvironment(workload, container,
                    podName(workload)));
            // the query-api and the streams-app have a readiness endpoint of their own; the poller is ready when alive
            String readiness = service.equals("poller") ? "/healthz" : "/readyz";
            checkProbe(service, "liveness", container.getLivenessProbe(), "/healthz", workload, served);
            checkProbe(service, "readiness", container.getReadinessProbe(), readiness, workload, served);
            checkProbe(service, "startup", container.getStartupProbe(), "/healthz", workload, served);
        }
        for (Workload workload : workloads().values()) {
            for (Container container : workload.template().getSpec().getContainers()) {
                for (Probe probe : Stream.of(container.getLivenessProbe(), container.getReadinessProbe(),
                        container.getStartupProbe()).filter(p -> p != null).toList()) {
                    IntOrString port = probe.getHttpGet() != null ? probe.getHttpGet().getPort()
                            : probe.getTcpSocket() != null ? probe.getTcpSocket().getPort() : null;
                    if (port != null) {
                        assertThat(containerPort(workload, port)).as("probe port of %s", workload.name()).isPresent();
                    }
                }
            }
        }
    }

    private static void checkProbe(String service, String kind, Probe probe, String path, Workload workload,
            Map<Integer, Set<String>> served) {
        assertThat(probe).as("%s probe of %s", kind, service).isNotNull();
        assertThat(probe.getHttpGet().getPath()).as("%s probe path of %s", kind, service).isEqualTo(path);
        Optional<ContainerPort> port = containerPort(workload, probe.getHttpGet().getPort());
        assertThat(port).as("%s probe port of %s", kind, service).isPresent();
        assertThat(served.getOrDefault(port.get().getContainerPort(), Set.of()))
                .as("what %s serves on port %s", service, port.get().getContainerPort()).contains(path);
    }

    @Test
    void shouldRequestResourcesAndSizeTheHeapFromTheMemoryLimit() {
        for (Workload workload : workloads().values()) {
            for (Container container : workload.template().getSpec().getContainers()) {
                assertThat(container.getResources().getRequests()).as("requests of %s", workload.name())
                        .containsKeys("cpu", "memory");
                assertThat(container.getResources().getLimits()).as("limits of %s", workload.name())
                        .containsKey("memory");
                assertThat(bytes(container.getResources().getLimits().get("memory")))
                        .isGreaterThanOrEqualTo(bytes(container.getResources().getRequests().get("memory")));
            }
        }
        Pattern percentage = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)");
        for (String service : SERVICES.keySet()) {
            Workload workload = workloads().get(service);
            String options = environment(workload, container(service), podName(workload)).get("JAVA_TOOL_OPTIONS");
            assertThat(options).as("JVM options of %s", service).contains("-XX:+ExitOnOutOfMemoryError")
                    .doesNotContain("-Xmx");
            Matcher m = percentage.matcher(options);
            assertThat(m.find()).as("%s sizes its heap from the container limit", service).isTrue();
            assertThat(Integer.parseInt(m.group(1))).isBetween(25, 80);
            if (service.equals("query-api")) {
                // the API commits its whole heap at start (decision 33): eden is not kept small by a growing heap
                assertThat(options).as("JVM options of %s", service)
                        .contains("-XX:InitialRAMPercentage=" + m.group(1));
            }
        }
        List<String> args = container("redis").getArgs();
        assertThat(args).contains("--maxmemory", "--maxmemory-policy", "allkeys-lru");
        BigDecimal maxmemory = redisBytes(args.get(args.indexOf("--maxmemory") + 1));
        assertThat(bytes(container("redis").getResources().getLimits().get("memory")))
                .as("Redis' memory limit leaves room above maxmemory").isGreaterThan(maxmemory);
    }

    /** A Redis memory size: 512mb, 1gb, 100000 (bytes); k/m/g are powers of 1000, kb/mb/gb of 1024. */
    private static BigDecimal redisBytes(String value) {
        Matcher m = Pattern.compile("(\\d+)(b|k|kb|m|mb|g|gb)?").matcher(value.toLowerCase(java.util.Locale.ROOT));
        assertThat(m.matches()).as("Redis memory size %s", value).isTrue();
        long unit = switch (m.group(2) == null ? "b" : m.group(2)) {
            case "k" -> 1000L;
            case "kb" -> 1024L;
            case "m" -> 1000L * 1000;
            case "mb" -> 1024L * 1024;
            case "g" -> 1000L * 1000 * 1000;
            case "gb" -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        return BigDecimal.valueOf(Long.parseLong(m.group(1))).multiply(BigDecimal.valueOf(unit));
    }

    @Test
    void shouldScrapeEachServiceOnThePortThatServesMetrics() throws IOException {
        ConfigMap scrape = named(ConfigMap.class, "prometheus-dbmetrics-scrape");
        JsonNode prometheus = YAML.readTree(scrape.getData().get("prometheus.yml"));
        assertThat(names(prometheus)).isSubsetOf("global", "scrape_configs");
        List<JsonNode> jobs = new ArrayList<>();
        for (JsonNode job : prometheus.path("scrape_configs")) {
            assertThat(names(job)).isSubsetOf("job_name", "kubernetes_sd_configs", "relabel_configs", "metrics_path",
                    "scrape_interval", "scrape_timeout", "scheme");
            for (JsonNode sd : job.path("kubernetes_sd_configs")) {
                assertThat(names(sd)).isSubsetOf("role", "namespaces");
                List<String> namespaces = new ArrayList<>();
                sd.path("namespaces").path("names").forEach(n -> namespaces.add(n.asString()));
                if (sd.path("role").asString().equals("pod") && namespaces.contains(all(Namespace.class).get(0)
                        .getMetadata().getName())) {
                    jobs.add(job);
                }
            }
        }
        assertThat(jobs).as("a pod-role job in our namespace").hasSize(1);
        JsonNode job = jobs.get(0);
        for (Workload workload : workloads().values()) {
            Set<String> targets = new TreeSet<>();
            for (Container container : workload.template().getSpec().getContainers()) {
                for (ContainerPort port : container.getPorts()) {
                    Map<String, String> labels = discoveredLabels(workload, port);
                    Optional<Map<String, String>> target = relabel(job.path("relabel_configs"), labels);
                    target.ifPresent(t -> targets.add(t.get("__address__") + t.getOrDefault("__metrics_path__",
                            job.path("metrics_path").asString("/metrics")) + " service=" + t.get("service")));
                }
            }
            if (!SERVICES.containsKey(workload.name())) {
                assertThat(targets).as("%s is not scraped", workload.name()).isEmpty();
                continue;
            }
            Map<Integer, Set<String>> served = servedPaths(workload.name(), startEnvironment(workload,
                    container(workload.name()), podName(workload)));
            Set<String> expected = new TreeSet<>();
            served.forEach((port, paths) -> {
                if (paths.contains("/metrics")) {
                    expected.add("10.1.2.3:" + port + "/metrics service=" + workload.name());
                }
            });
            assertThat(expected).as("%s serves /metrics on one port", workload.name()).hasSize(1);
            assertThat(targets).as("what Prometheus scrapes of %s", workload.name()).isEqualTo(expected);
        }
    }

    // ---- strict parsing

    /** Every document of a YAML text as its typed Kubernetes object; any field, type or kind mistake fails. */
    static List<HasMetadata> parseStrictly(String yaml, String where) {
        List<HasMetadata> parsed = new ArrayList<>();
        try (MappingIterator<JsonNode> documents =
                YAML.readerFor(JsonNode.class).readValues(yaml)) {
            int index = 0;
            while (documents.hasNextValue()) {
                JsonNode document = documents.nextValue();
                String at = where + " document " + index++;
                if (document == null || document.isNull() || document.isMissingNode()) {
                    continue;
                }
                parsed.add(parseStrictly(document, at));
            }
        } catch (JacksonException e) {
            throw new AssertionError(where + " is not valid YAML: " + e.getMessage(), e);
        }
        return parsed;
    }

    private static HasMetadata parseStrictly(JsonNode document, String where) {
        String type = document.path("apiVersion").asString() + "/" + document.path("kind").asString();
        Class<? extends HasMetadata> model = TYPES.get(type);
        if (model == null) {
            throw new AssertionError(where + ": no model for " + type + " (expected one of " + TYPES.keySet() + ")");
        }
        HasMetadata object;
        try {
            object = YAML.treeToValue(document, model);
        } catch (JacksonException e) {
            throw new AssertionError(where + ": does not parse as " + type + ": " + e.getOriginalMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        unknownFields(object, type, unknown);
        if (!unknown.isEmpty()) {
            throw new AssertionError(where + ": fields the Kubernetes API does not know, or values it refuses: "
                    + unknown);
        }
        difference(document, YAML.valueToTree(object), type).ifPresent(d -> {
            throw new AssertionError(where + ": does not survive a round trip through the model: " + d);
        });
        return object;
    }

    /**
     * The model classes keep fields they do not know in additionalProperties: collect those, anywhere in the tree, and
     * the values the model cannot read (a getter that throws, as Quantity's does for "500mm").
     */
    private static void unknownFields(Object value, String path, List<String> found) {
        if (value instanceof Collection) {
            int i = 0;
            for (Object item : (Collection<?>) value) {
                unknownFields(item, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (value instanceof Map) {
            ((Map<?, ?>) value).forEach((k, v) -> unknownFields(v, path + "." + k, found));
            return;
        }
        if (value == null || !value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || Modifier.isStatic(getter.getModifiers()) || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            String property = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            Object child;
            try {
                child = getter.invoke(value);
            } catch (InvocationTargetException e) {
                // a value the model cannot make sense of, such as the quantity "500mm"
                found.add(path + " (" + property + ": " + e.getCause() + ")");
                continue;
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(getter.toString(), e);
            }
            if (property.equals("additionalProperties")) {
                ((Map<?, ?>) child).keySet().forEach(k -> found.add(path + "." + k));
            } else {
                unknownFields(child, path + "." + property, found);
            }
        }
    }

    /** The first place two trees differ (numbers compare by value: the model writes some ints as longs). */
    private static Optional<String> difference(JsonNode expected, JsonNode actual, String path) {
        if (expected.isNumber() && actual.isNumber()) {
            return expected.decimalValue().compareTo(actual.decimalValue()) == 0 ? Optional.empty()
                    : Optional.of(path + ": " + expected + " became " + actual);
        }
        if (expected.isObject() && actual.isObject()) {
            Set<String> keys = new TreeSet<>(names(expected));
            keys.addAll(names(actual));
            for (String key : keys) {
                Optional<String> d = difference(expected.path(key), actual.path(key), path + "." + key);
                if (d.isPresent()) {
                    return d;
                }
            }
            return Optional.empty();
        }
        if (expected.isArray() && actual.isArray() && expected.size() == actual.size()) {
            for (int i = 0; i < expected.size(); i++) {
                Optional<String> d = difference(expected.get(i), actual.get(i), path + "[" + i + "]");
                if (d.isPresent()) {
                    return d;
                }
            }
            return Optional.empty();
        }
        return expected.equals(actual) ? Optional.empty()
                : Optional.of(path + ": " + (expected.isMissingNode() ? "(absent)" : expected) + " became "
                        + (actual.isMissingNode() ? "(absent)" : actual));
    }

    // ---- the manifests

    private static List<String> manifestFiles() throws IOException {
        try (Stream<Path> paths = Files.list(DIR)) {
            List<String> names = paths.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals(KUSTOMIZATION)).sorted().toList();
            assertThat(names).as("files of %s", DIR).allMatch(n -> n.endsWith(".yaml")).isNotEmpty();
            return names;
        }
    }

    private static JsonNode kustomization() throws IOException {
        return YAML.readTree(Files.readString(DIR.resolve(KUSTOMIZATION)));
    }

    private static <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static <T extends HasMetadata> T named(Class<T> type, String name) {
        List<T> found = all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
        assertThat(found).as("%s %s is defined, once", type.getSimpleName(), name).hasSize(1);
        return found.get(0);
    }

    private static String describe(HasMetadata object) {
        return object.getKind() + " " + object.getMetadata().getName() + " (" + files.get(object) + ")";
    }

    private static Set<String> names(JsonNode node) {
        Set<String> names = new TreeSet<>();
        names.addAll(node.propertyNames());
        return names;
    }

    /** A Deployment, StatefulSet or Job: what runs pods. */
    private record Workload(String name, String namespace, LabelSelector selector, PodTemplateSpec template,
            Set<String> claims) {

        Map<String, String> labels() {
            return template.getMetadata().getLabels();
        }
    }

    private static Map<String, Workload> workloads() {
        Map<String, Workload> workloads = new TreeMap<>();
        for (Deployment d : all(Deployment.class)) {
            workloads.put(d.getMetadata().getName(), new Workload(d.getMetadata().getName(),
                    d.getMetadata().getNamespace(), d.getSpec().getSelector(), d.getSpec().getTemplate(), Set.of()));
        }
        for (StatefulSet s : all(StatefulSet.class)) {
            workloads.put(s.getMetadata().getName(), new Workload(s.getMetadata().getName(),
                    s.getMetadata().getNamespace(), s.getSpec().getSelector(), s.getSpec().getTemplate(),
                    s.getSpec().getVolumeClaimTemplates().stream().map(c -> c.getMetadata().getName())
                            .collect(Collectors.toSet())));
        }
        for (Job j : all(Job.class)) {
            workloads.put(j.getMetadata().getName(), new Workload(j.getMetadata().getName(),
                    j.getMetadata().getNamespace(), j.getSpec().getSelector(), j.getSpec().getTemplate(), Set.of()));
        }
        return workloads;
    }

    private static Container container(String workload) {
        List<Container> containers = workloads().get(workload).template().getSpec().getContainers();
        assertThat(containers).as("containers of %s", workload).hasSize(1);
        return containers.get(0);
    }

    /** The one workload whose pod labels include the selector, or a failure. */
    private static Workload selectedWorkload(Map<String, String> selector, String by) {
        assertThat(selector).as("selector of %s", by).isNotEmpty();
        List<Workload> selected = workloads().values().stream()
                .filter(w -> w.labels().entrySet().containsAll(selector.entrySet())).toList();
        assertThat(selected).as("workloads selected by %s", by).hasSize(1);
        return selected.get(0);
    }

    private static Optional<ContainerPort> containerPort(Workload workload, IntOrString port) {
        return workload.template().getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
                .filter(p -> port.getStrVal() != null ? port.getStrVal().equals(p.getName())
                        : port.getIntVal().equals(p.getContainerPort()))
                .findFirst();
    }

    private static Optional<ServicePort> servicePort(Service service, int port) {
        return service.getSpec().getPorts().stream().filter(p -> p.getPort() == port).findFirst();
    }

    private static String podName(Workload workload) {
        return all(StatefulSet.class).stream().anyMatch(s -> s.getMetadata().getName().equals(workload.name()))
                ? workload.name() + "-0" : workload.name() + "-6c9f8b7d5-x2k7q";
    }

    private static BigDecimal bytes(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity);
    }

    // ---- the environment a container starts with

    /**
     * As the kubelet builds it: the envFrom sources first, then env in order, $(VAR) expanded from what is defined
     * before it. Every referenced ConfigMap, Secret and key must exist; no variable may be defined twice.
     */
    private static Map<String, String> environment(Workload workload, Container container, String podName) {
        Map<String, String> env = new LinkedHashMap<>();
        String where = workload.name() + "/" + container.getName();
        for (EnvFromSource source : container.getEnvFrom()) {
            assertThat(source.getPrefix()).as("envFrom prefix of %s", where).isNull();
            Map<String, String> values = source.getConfigMapRef() != null
                    ? named(ConfigMap.class, source.getConfigMapRef().getName()).getData()
                    : secretValues(named(Secret.class, source.getSecretRef().getName()));
            values.forEach((name, value) -> define(env, name, value, where));
        }
        for (EnvVar variable : container.getEnv()) {
            String value;
            if (variable.getValueFrom() == null) {
                value = expand(variable.getValue(), env);
            } else if (variable.getValueFrom().getConfigMapKeyRef() != null) {
                var ref = variable.getValueFrom().getConfigMapKeyRef();
                value = named(ConfigMap.class, ref.getName()).getData().get(ref.getKey());
                assertThat(value).as("%s: ConfigMap %s has key %s", where, ref.getName(), ref.getKey()).isNotNull();
            } else if (variable.getValueFrom().getSecretKeyRef() != null) {
                var ref = variable.getValueFrom().getSecretKeyRef();
                value = secretValues(named(Secret.class, ref.getName())).get(ref.getKey());
                assertThat(value).as("%s: Secret %s has key %s", where, ref.getName(), ref.getKey()).isNotNull();
            } else if (variable.getValueFrom().getFieldRef() != null) {
                String field = variable.getValueFrom().getFieldRef().getFieldPath();
                assertThat(field).as("%s: downward API field", where).isIn("metadata.name", "metadata.namespace");
                value = field.equals("metadata.name") ? podName : workload.namespace();
            } else {
                throw new AssertionError(where + ": unsupported source of " + variable.getName());
            }
            define(env, variable.getName(), value, where);
        }
        return env;
    }

    private static void define(Map<String, String> env, String name, String value, String where) {
        assertThat(env.put(name, value)).as("%s defines %s once", where, name).isNull();
    }

    private static String expand(String value, Map<String, String> env) {
        Matcher m = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(value == null ? "" : value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Map<String, String> secretValues(Secret secret) {
        Map<String, String> values = new LinkedHashMap<>(secret.getStringData());
        secret.getData().forEach((k, v) -> values.put(k,
                new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        return values;
    }

    /** A file a container sees through a mounted Secret or ConfigMap volume: where it comes from. */
    private record MountedFile(String kind, String name, String key, Integer mode) {

        boolean secret() {
            return kind.equals("Secret");
        }

        /** What the file holds: the Secret's or ConfigMap's value. */
        String content() {
            return secret() ? secretValues(named(Secret.class, name)).get(key)
                    : named(ConfigMap.class, name).getData().get(key);
        }
    }

    /**
     * Every file the container's Secret and ConfigMap volume mounts put in its file system, by path, as the kubelet
     * lays them out: each key of the source under the mount path, or only the listed items at their paths. Fails on
     * a key or an item the source lacks.
     */
    private static Map<String, MountedFile> mountedFiles(Workload workload, Container container) {
        Map<String, Volume> volumes = new TreeMap<>();
        workload.template().getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
        Map<String, MountedFile> files = new TreeMap<>();
        for (VolumeMount mount : container.getVolumeMounts()) {
            Volume volume = volumes.get(mount.getName());
            if (volume == null || volume.getSecret() == null && volume.getConfigMap() == null) {
                continue;
            }
            assertThat(mount.getSubPath()).as("%s mounts whole volumes", workload.name()).isNullOrEmpty();
            boolean secret = volume.getSecret() != null;
            String name = secret ? volume.getSecret().getSecretName() : volume.getConfigMap().getName();
            Set<String> keys = secret ? secretValues(named(Secret.class, name)).keySet()
                    : named(ConfigMap.class, name).getData().keySet();
            List<io.fabric8.kubernetes.api.model.KeyToPath> items = secret ? volume.getSecret().getItems()
                    : volume.getConfigMap().getItems();
            Integer mode = secret ? volume.getSecret().getDefaultMode() : volume.getConfigMap().getDefaultMode();
            String kind = secret ? "Secret" : "ConfigMap";
            if (items == null || items.isEmpty()) {
                keys.forEach(k -> files.put(mount.getMountPath() + "/" + k, new MountedFile(kind, name, k, mode)));
            } else {
                for (var item : items) {
                    assertThat(keys).as("%s %s has the key %s that %s mounts", kind, name, item.getKey(),
                            workload.name()).contains(item.getKey());
                    files.put(mount.getMountPath() + "/" + item.getPath(),
                            new MountedFile(kind, name, item.getKey(), item.getMode() != null ? item.getMode() : mode));
                }
            }
        }
        return files;
    }

    /**
     * The environment as the process sees it at start, on this machine: every variable naming a mounted file points
     * at a temporary file that holds what the mount would (a Secret's value replaced by {@code content}'s, e.g. a
     * valid stand-in). A variable naming a path no mount provides keeps it, and the process' own check of that file
     * fails.
     */
    private static Map<String, String> withMountedFiles(Map<String, String> env, Map<String, MountedFile> files,
            Function<MountedFile, String> content) {
        Map<String, String> copy = new LinkedHashMap<>(env);
        copy.replaceAll((name, value) -> {
            MountedFile file = files.get(value);
            return file == null ? value : temporaryFile(content.apply(file)).toString();
        });
        return copy;
    }

    /** {@link #environment} with every mounted Secret file holding {@link #TEST_SECRET}, ConfigMap files their data. */
    private static Map<String, String> startEnvironment(Workload workload, Container container, String podName) {
        return withMountedFiles(environment(workload, container, podName), mountedFiles(workload, container),
                f -> f.secret() ? TEST_SECRET : f.content());
    }

    private static Path temporaryFile(String content) {
        try {
            Path file = Files.createTempFile("k8s-mounted", ".file");
            file.toFile().deleteOnExit();
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Object parseConfig(String service, Map<String, String> env) {
        Map<String, Function<Map<String, String>, Object>> parsers = Map.of(
                "poller", PollerConfig::fromEnv, "streams-app", StreamsAppConfig::fromEnv, "query-api",
                ApiConfig::fromEnv, "kafka-topics", CreateTopicsConfig::fromEnv);
        return parsers.get(service).apply(env);
    }

    /**
     * The paths each service's HTTP servers answer, by port, from its resolved configuration: query-api's ApiServer
     * (public port: the API, /healthz, /readyz; management port: /metrics, /healthz), streams-app's IqServer (its
     * application.server port: /internal/v1/... only) and ManagementServer (/healthz, /readyz, /metrics), the poller's
     * ManagementServer (/healthz, /metrics).
     */
    private static Map<Integer, Set<String>> servedPaths(String service, Map<String, String> config) {
        switch (service) {
            case "query-api": {
                ApiConfig api = ApiConfig.fromEnv(config);
                return Map.of(api.port(), Set.of("/healthz", "/readyz", "/api/v1"),
                        api.managementPort(), Set.of("/metrics", "/healthz"));
            }
            case "streams-app": {
                StreamsAppConfig streams = StreamsAppConfig.fromEnv(config);
                return Map.of(streams.applicationServer().port(), Set.of("/internal/v1"),
                        streams.managementPort(), Set.of("/healthz", "/readyz", "/metrics"));
            }
            case "poller":
                return Map.of(PollerConfig.fromEnv(config).managementPort(), Set.of("/healthz", "/metrics"));
            default:
                throw new IllegalArgumentException(service);
        }
    }

    // ---- Prometheus service discovery and relabelling, as Prometheus applies them

    /** The labels Kubernetes service discovery (role: pod) gives the target of one container port of a pod. */
    private static Map<String, String> discoveredLabels(Workload workload, ContainerPort port) {
        Map<String, String> labels = new TreeMap<>();
        labels.put("__address__", "10.1.2.3:" + port.getContainerPort());
        labels.put("__meta_kubernetes_namespace", workload.namespace());
        labels.put("__meta_kubernetes_pod_name", podName(workload));
        labels.put("__meta_kubernetes_pod_container_port_number", Integer.toString(port.getContainerPort()));
        labels.put("__meta_kubernetes_pod_container_port_name", port.getName());
        workload.labels().forEach((k, v) -> labels.put("__meta_kubernetes_pod_label_" + sanitize(k), v));
        Map<String, String> annotations = workload.template().getMetadata().getAnnotations();
        annotations.forEach((k, v) -> labels.put("__meta_kubernetes_pod_annotation_" + sanitize(k), v));
        return labels;
    }

    private static String sanitize(String name) {
        return name.replaceAll("[^a-zA-Z0-9_]", "_");
    }

    /** The target's labels after the relabel rules, or empty when a rule drops it. */
    private static Optional<Map<String, String>> relabel(JsonNode rules, Map<String, String> discovered) {
        Map<String, String> labels = new TreeMap<>(discovered);
        for (JsonNode rule : rules) {
            assertThat(names(rule)).as("relabel rule %s", rule).isSubsetOf("source_labels", "separator", "regex",
                    "target_label", "replacement", "action");
            List<String> values = new ArrayList<>();
            rule.path("source_labels").forEach(l -> values.add(labels.getOrDefault(l.asString(), "")));
            String joined = String.join(rule.path("separator").asString(";"), values);
            Matcher m = Pattern.compile("^(?:" + rule.path("regex").asString("(.*)") + ")$").matcher(joined);
            String action = rule.path("action").asString("replace");
            switch (action) {
                case "keep":
                    if (!m.matches()) {
                        return Optional.empty();
                    }
                    break;
                case "drop":
                    if (m.matches()) {
                        return Optional.empty();
                    }
                    break;
                case "replace":
                    if (m.matches()) {
                        String target = rule.path("target_label").asString();
                        assertThat(target).as("target_label of %s", rule).isNotEmpty();
                        String value = replacement(m, rule.path("replacement").asString("$1"));
                        if (value.isEmpty()) {
                            labels.remove(target);
                        } else {
                            labels.put(target, value);
                        }
                    }
                    break;
                default:
                    throw new AssertionError("relabel action the test does not model: " + action);
            }
        }
        return Optional.of(labels);
    }

    private static String replacement(Matcher m, String template) {
        Matcher ref = Pattern.compile("\\$\\{?(\\d+)}?").matcher(template);
        StringBuilder out = new StringBuilder();
        while (ref.find()) {
            int group = Integer.parseInt(ref.group(1));
            ref.appendReplacement(out, Matcher.quoteReplacement(group <= m.groupCount() && m.group(group) != null
                    ? m.group(group) : ""));
        }
        ref.appendTail(out);
        return out.toString();
    }
}
