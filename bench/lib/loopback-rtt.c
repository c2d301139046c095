/*
 * The least an extra hop costs on this machine: a 64-byte ping-pong between two processes
 * over loopback TCP (TCP_NODELAY, blocking reads, no parsing, no work). Any server placed
 * between a client and its database adds at least one such round trip to every request.
 * Written in C because the point is the kernel's and the VM's share, without any runtime's.
 *
 *   gcc -O2 -o /tmp/loopback-rtt bench/lib/loopback-rtt.c
 *   /tmp/loopback-rtt server 47123 & /tmp/loopback-rtt client 47123 50000
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *x, const void *y) {
  double d = *(const double *)x - *(const double *)y;
  return d < 0 ? -1 : d > 0;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s server PORT | client PORT COUNT\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[2]), one = 1;
  char buf[64] = {0};
  struct sockaddr_in a = loopback(port);
  if (strcmp(argv[1], "server") == 0) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1)) return perror("listen"), 1;
    int c = accept(l, NULL, NULL);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0 || write(c, buf, n) != n) return 0;
    }
  }
  int count = argc > 3 ? atoi(argv[3]) : 50000;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  for (int tries = 0; connect(s, (struct sockaddr *)&a, sizeof a) != 0; tries++) {
    if (tries > 50) return perror("connect"), 1;
    usleep(20000);
  }
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  double *lat = malloc(count * sizeof *lat), sum = 0;
  for (int i = 0; i < count; i++) {
    double t0 = now_us();
    if (write(s, buf, sizeof buf) != sizeof buf) return 1;
    for (size_t got = 0; got < sizeof buf;) {
      ssize_t r = read(s, buf + got, sizeof buf - got);
      if (r <= 0) return 1;
      got += r;
    }
    lat[i] = now_us() - t0;
    sum += lat[i];
  }
  qsort(lat, count, sizeof *lat, by_value);
  printf("loopback round trips %d: p50 %.1f us  mean %.1f us  p99 %.1f us\n", count, lat[count / 2], sum / count, lat[count * 99 / 100]);
  return 0;
}
