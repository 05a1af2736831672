/** JMH micro-benchmarks of the kernels. */
package dev.hyperattention4j.bench;
