# One image for every Toolformer service: `toolformer up|executor|analytics|alert-processor ...`.
# Build stage: the Maven wrapper on a JDK 21; run stage: a JRE 21.
FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY bin bin
COPY schemas schemas
COPY common common
COPY embedded-kafka embedded-kafka
COPY producer producer
COPY executor executor
COPY analytics analytics
COPY alert-processor alert-processor
COPY server server
COPY ops ops
COPY bench bench
COPY cli cli
COPY system-tests system-tests
COPY config config
RUN ./mvnw -B -q -DskipTests package -pl cli -am

FROM eclipse-temurin:21-jre
RUN useradd --system --uid 10001 --home /var/lib/toolformer toolformer && mkdir -p /var/lib/toolformer && chown toolformer /var/lib/toolformer
WORKDIR /opt/toolformer
COPY --from=build /src/cli/target/toolformer.jar ./
COPY --from=build /src/cli/target/lib ./lib
COPY config ./config
# Tool plugins: jars with META-INF/services/dev.toolformer.executor.Tool, added by an image built FROM this one
# or mounted as a volume.
RUN mkdir -p /opt/toolformer/plugins
ENV TOOLFORMER_PLUGINS=/opt/toolformer/plugins
USER toolformer
WORKDIR /var/lib/toolformer
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/toolformer/toolformer.jar"]
CMD ["--help"]
