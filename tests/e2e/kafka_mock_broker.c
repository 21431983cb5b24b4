/* SPDX-License-Identifier: Apache-2.0 */
/* A Kafka cluster for the tests: librdkafka's mock cluster (in this
 * process, on loopback ports) with one topic, and a producer.
 *
 * usage: kafka_mock_broker TOPIC PARTITIONS
 * Prints the bootstrap servers on the first line of standard output, then
 * reads standard input: each line "KEY<TAB>VALUE" is produced to TOPIC with
 * that key (the partition is the key's hash, as any producer keyed by node
 * would do); a line "." waits until everything is delivered and prints
 * "produced N"; "offsets GROUP" prints "committed C" (the group's committed
 * offsets summed over the partitions); end of input stops the cluster. */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rd_kafka_t *new_client(rd_kafka_type_t type, const char *bootstraps, const char *group)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (bootstraps && rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr, sizeof errstr))
        goto fail;
    if (type == RD_KAFKA_PRODUCER && rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr))
        goto fail;
    if (group && rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr))
        goto fail;
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk)
        return rk;
fail:
    fprintf(stderr, "kafka_mock_broker: %s\n", errstr);
    exit(1);
}

/* The group's committed offsets, summed (what the consumers acknowledged). */
static int64_t committed(const char *bootstraps, const char *topic, int partitions, const char *group)
{
    rd_kafka_t *c = new_client(RD_KAFKA_CONSUMER, bootstraps, group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; i++)
        rd_kafka_topic_partition_list_add(l, topic, i);
    int64_t sum = -1;
    if (rd_kafka_committed(c, l, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        sum = 0;
        for (int i = 0; i < l->cnt; i++)
            if (l->elems[i].offset > 0)
                sum += l->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(c);
    return sum;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: kafka_mock_broker TOPIC PARTITIONS\n");
        return 2;
    }
    const char *topic = argv[1];
    int partitions = atoi(argv[2]);
    rd_kafka_t *host = new_client(RD_KAFKA_PRODUCER, NULL, NULL); /* runs the mock brokers' thread */
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(host, 3);
    if (!mc || rd_kafka_mock_topic_create(mc, topic, partitions, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "kafka_mock_broker: cannot create the mock cluster\n");
        return 1;
    }
    char *bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(mc));
    printf("%s\n", bootstraps);
    fflush(stdout);
    rd_kafka_t *prod = new_client(RD_KAFKA_PRODUCER, bootstraps, NULL);
    uint64_t produced = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (strcmp(line, ".") == 0) {
            rd_kafka_flush(prod, 60000);
            printf("produced %" PRIu64 "\n", produced);
            fflush(stdout);
            continue;
        }
        if (strncmp(line, "offsets ", 8) == 0) {
            printf("committed %" PRId64 "\n", committed(bootstraps, topic, partitions, line + 8));
            fflush(stdout);
            continue;
        }
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        for (;;) {
            rd_kafka_resp_err_t e =
                rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(line, (size_t)(tab - line)),
                                  RD_KAFKA_V_VALUE(tab + 1, (size_t)(line + n - tab - 1)),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(prod, 100);
                continue;
            }
            if (e) {
                fprintf(stderr, "kafka_mock_broker: produce: %s\n", rd_kafka_err2str(e));
                return 1;
            }
            break;
        }
        produced++;
        rd_kafka_poll(prod, 0);
    }
    rd_kafka_flush(prod, 60000);
    rd_kafka_destroy(prod);
    free(line);
    free(bootstraps);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(host);
    return 0;
}
