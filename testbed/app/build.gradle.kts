// The testbed app: CPython from cross-build/HOST/prefix, started in-process
// through JNI and driven by instrumentation arguments.  A free-threaded build
// (cross-build/HOST-t/prefix) works the same: its lib/python3.13t, include/
// python3.13t and libpython3.13t.so are found through pythonVersion ("3.13t").
//
// android.py passes everything this build needs as Gradle properties (-P...):
//   python.prefixes     comma-separated prefixes (cross-build/HOST/prefix), one per ABI
//   python.minSdk       the API level Python was built for (android.py --api-level)
//   python.ndkVersion   the NDK Python was built with
//   python.buildDir     where build outputs go (default: app/build)
//   python.sitePackages optional directory copied into site-packages
//   python.cwd          optional directory copied as Python's working directory
//   python.apps         optional number of copies of the app (see `apps` below)
// and at run time the instrumentation arguments pythonMode, pythonModule,
// pythonArgs, pythonCwd and pythonSitePackages (see MainActivity.kt).

import com.android.build.api.variant.*
import kotlin.math.max

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

// Not named `property`: inside a task's configuration lambda that name binds
// to Task.property (the innermost receiver's member wins), which throws
// MissingPropertyException instead of reaching the project.  tests/
// test_testbed.py checks that no helper here shares a name with a Gradle member.
fun optionalProperty(name: String): String? =
    (findProperty(name) as String?)?.takeIf { it.isNotEmpty() }

fun requiredProperty(name: String): String = optionalProperty(name) ?: throw GradleException(
    "Gradle property $name is not set: build the testbed with `android.py build-testbed HOST`")

optionalProperty("python.buildDir")?.let { layout.buildDirectory.set(file(it)) }

// Android's ABI names, keyed by the triplet in _sysconfigdata__android_<triplet>.py.
val KNOWN_ABIS = mapOf(
    "aarch64-linux-android" to "arm64-v8a",
    "arm-linux-androideabi" to "armeabi-v7a",
    "i686-linux-android" to "x86",
    "x86_64-linux-android" to "x86_64",
)

// The machine's own ABI: emulators run only images of it at a usable speed.
val NATIVE_ABI = mapOf(
    "aarch64" to "arm64-v8a", "arm64" to "arm64-v8a", "amd64" to "x86_64", "x86_64" to "x86_64",
)[System.getProperty("os.arch")] ?: "x86_64"

// 2 GB, the emulator's default, is too little for the whole test suite.
val EMULATOR_RAM_MB = "4096"

val prefixes = requiredProperty("python.prefixes").split(",").map { file(it) }
for (prefix in prefixes) {
    if (!prefix.isDirectory) {
        throw GradleException("$prefix does not exist: run `android.py build HOST` first")
    }
}

fun pythonVersionOf(prefix: File): String =
    file("$prefix/lib").list()!!.firstNotNullOfOrNull {
        """python(\d+\.\d+[a-z]*)""".toRegex().matchEntire(it)?.groupValues?.get(1)
    } ?: throw GradleException("no lib/pythonX.Y in $prefix")

val pythonVersion = pythonVersionOf(prefixes[0])
val abis = prefixes.associateWith { prefix ->
    val version = pythonVersionOf(prefix)
    if (version != pythonVersion) {
        throw GradleException("${prefixes[0]} is Python $pythonVersion, $prefix is $version")
    }
    val triplet = file("$prefix/lib/python$version").list()!!.firstNotNullOfOrNull {
        """_sysconfigdata_[a-z]*_android_(.+)\.py""".toRegex().matchEntire(it)?.groupValues?.get(1)
    } ?: throw GradleException("$prefix is not an Android build (no _sysconfigdata for Android)")
    KNOWN_ABIS[triplet] ?: throw GradleException("unknown Android triplet $triplet")
}

// A free-threaded build (android.py --disable-gil) lives in cross-build/HOST-t/prefix:
// what follows the triplet in the host directory's name is the same for every ABI.
val hostDirSuffix = prefixes[0].parentFile.name.let { name ->
    KNOWN_ABIS.keys.firstOrNull { name.startsWith(it) }?.let { name.removePrefix(it) } ?: ""
}

// Several test processes per device (android.py test --per-device N): N copies
// of the app from one build, the product flavors slot0 ... slot<N-1>, slot I with
// the application ID org.python.testbed.sI (slot0 keeps upstream's).  To Android
// each copy is an app of its own: its own process, data directories and
// instrumentation, so `am instrument` starts N Pythons side by side (Python runs
// in the app's process, one per app), and the flavors share every input (the
// native library, the Python assets) in one Gradle run.  Android's other ways fall
// short: android:process components still share the one instrumentation and data
// directory, and secondary users need a device that allows them.  Without
// python.apps there are no flavors: the tasks, APKs and application ID upstream's has.
val apps = (optionalProperty("python.apps") ?: "1").toInt()
val appVariants = if (apps == 1) listOf("Debug") else (0 until apps).map { "Slot${it}Debug" }

android {
    namespace = "org.python.testbed"
    compileSdk = 35
    ndkVersion = requiredProperty("python.ndkVersion")

    defaultConfig {
        applicationId = "org.python.testbed"
        minSdk = (optionalProperty("python.minSdk") ?: "24").toInt()
        targetSdk = 35
        versionCode = 1
        versionName = "1.0"

        ndk.abiFilters.addAll(abis.values)
        externalNativeBuild.cmake.arguments(
            // AGP reserves ${}: CMakeLists.txt replaces {{triplet}} per ABI.
            "-DPYTHON_PREFIX_DIR=" + if (prefixes.size == 1) prefixes[0] else
                prefixes[0].parentFile.parentFile.toString() + "/{{triplet}}$hostDirSuffix/prefix",
            "-DPYTHON_VERSION=$pythonVersion",
            "-DANDROID_SUPPORT_FLEXIBLE_PAGE_SIZES=ON",
        )
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
    }

    if (apps > 1) {
        flavorDimensions += "app"
        productFlavors {
            for (i in 0 until apps) {
                create("slot$i") {
                    dimension = "app"
                    if (i > 0) applicationIdSuffix = ".s$i"
                }
            }
        }
    }

    externalNativeBuild.cmake {
        path("src/main/c/CMakeLists.txt")
    }

    // Something that matches nothing: the default pattern drops asset
    // directories starting with "_" (and more), which the tests need.
    androidResources.ignoreAssetsPattern = "android-testbed-dont-ignore-anything"

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_1_8
        targetCompatibility = JavaVersion.VERSION_1_8
    }
    kotlinOptions {
        jvmTarget = "1.8"
    }

    testOptions {
        managedDevices {
            localDevices {
                create("minVersion") {
                    device = "Small Phone"
                    // Gradle managed devices start at API level 27.
                    apiLevel = max(27, defaultConfig.minSdk!!)
                    // ATD images are smaller and faster, from API level 30.
                    systemImageSource = if (apiLevel >= 30) "aosp_atd" else "default"
                }
                create("maxVersion") {
                    device = "Small Phone"
                    apiLevel = defaultConfig.targetSdk!!
                    systemImageSource = "aosp_atd"
                }
            }
        }
    }
}

dependencies {
    implementation("androidx.appcompat:appcompat:1.6.1")
    implementation("com.google.android.material:material:1.11.0")
    implementation("androidx.constraintlayout:constraintlayout:2.1.4")
    androidTestImplementation("androidx.test.ext:junit:1.1.5")
    androidTestImplementation("androidx.test:rules:1.5.0")
}

afterEvaluate {
    // A test run that passed with unchanged inputs would be skipped: always run.
    (android.testOptions.managedDevices.localDevices.names + listOf("connected")).forEach {
        for (variant in appVariants) {
            tasks.named("$it${variant}AndroidTest") { outputs.upToDateWhen { false } }
        }
    }
    // Gradle creates managed emulators with 2 GB of RAM whatever the device
    // profile says.  Create the AVD ourselves before the Setup task would, so
    // its RAM can be raised before its first (cold) boot.
    for (device in android.testOptions.managedDevices.localDevices) {
        val create = tasks.register<CreateManagedEmulator>("${device.name}Create") {
            profile.set(device.device)
            apiLevel.set(device.apiLevel)
            imageSource.set(device.systemImageSource)
            abi.set(NATIVE_ABI)
            ramMb.set(EMULATOR_RAM_MB)
        }
        tasks.named("${device.name}Setup") { dependsOn(create) }
    }
}

abstract class CreateManagedEmulator : DefaultTask() {
    @get:Input abstract val profile: Property<String>
    @get:Input abstract val apiLevel: Property<Int>
    @get:Input abstract val imageSource: Property<String>
    @get:Input abstract val abi: Property<String>
    @get:Input abstract val ramMb: Property<String>
    @get:Inject abstract val execOps: ExecOperations

    private val avdName: String
        get() = listOf("dev${apiLevel.get()}", imageSource.get(), abi.get(),
                       profile.get().replace(' ', '_')).joinToString("_")

    private val avdDir: File
        get() {
            val home = System.getenv("ANDROID_USER_HOME") ?: ((System.getenv("XDG_CONFIG_HOME")
                ?: System.getProperty("user.home")!!) + "/.android")
            return File("$home/avd/gradle-managed", "$avdName.avd")
        }

    @TaskAction
    fun run() {
        if (!avdDir.exists()) {
            val image = "system-images;android-${apiLevel.get()};${imageSource.get()};${abi.get()}"
            tool("sdkmanager", image)
            tool("avdmanager", "create", "avd", "--name", avdName, "--path", avdDir.toString(),
                 "--device", profile.get().lowercase().replace(" ", "_"), "--package", image)
            // avdmanager writes NAME.ini beside avd/, Gradle looks in gradle-managed/.
            val ini = File(avdDir.parentFile.parentFile, "$avdName.ini")
            if (!ini.renameTo(File(avdDir.parentFile, ini.name))) {
                throw GradleException("Failed to move $ini")
            }
        }
        for (name in listOf("config.ini", "hardware-qemu.ini")) {
            val ini = File(avdDir, name)
            if (!ini.exists()) continue  // hardware-qemu.ini appears at first boot
            val ram = Regex("""^\s*hw\.ramSize\s*=.*$""", RegexOption.MULTILINE)
            val text = ini.readText()
            val wanted = "hw.ramSize = ${ramMb.get()}"
            ini.writeText(if (ram.containsMatchIn(text)) text.replace(ram, wanted)
                          else text.trimEnd() + "\n" + wanted + "\n")
        }
    }

    private fun tool(name: String, vararg args: String) {
        val home = System.getenv("ANDROID_HOME")
            ?: throw GradleException("ANDROID_HOME is not set")
        val exe = if (System.getProperty("os.name").lowercase().startsWith("win")) ".bat" else ""
        execOps.exec { commandLine("$home/cmdline-tools/latest/bin/$name$exe", *args) }
    }
}

// Copy Python into the APK: the standard library and headers as assets,
// libpython and the extension modules' shared libraries as JNI libraries.
androidComponents.onVariants { variant ->
    val pyPlusVer = "python$pythonVersion"
    generateTask(variant, variant.sources.assets!!) {
        into("python") {
            into("include/$pyPlusVer") {  // pyconfig.h: some tests read it
                for (prefix in prefixes) from("$prefix/include/$pyPlusVer")
                duplicatesStrategy = DuplicatesStrategy.EXCLUDE
            }
            into("lib/$pyPlusVer") {
                for (prefix in prefixes) from("$prefix/lib/$pyPlusVer")
                // The app's main module goes beside the standard library, not
                // in site-packages: `-S` (no site) must still find it.
                from("$projectDir/src/main/python")
                into("site-packages") {
                    optionalProperty("python.sitePackages")?.let {
                        if (!file(it).exists()) throw GradleException("$it does not exist")
                        from(it)
                    }
                }
                duplicatesStrategy = DuplicatesStrategy.EXCLUDE
                exclude("**/__pycache__")
            }
            into("cwd") {
                optionalProperty("python.cwd")?.let {
                    if (!file(it).exists()) throw GradleException("$it does not exist")
                    from(it)
                }
            }
            // AAPT decompresses files whose names end in .gz: add a "-".  This is
            // Gradle's RegExpNameMapper (find(), then replaceFirst): the greedy
            // ".*" puts the "-" after the LAST ".gz" or "-" anywhere in the name
            // (pip-25.1.1-py3-none-any.whl -> ...-none--any.whl).  assetFileName
            // in MainActivity.kt removes the last "-", which undoes exactly that.
            rename(""".*(\.gz|-)""", "$0-")
        }
    }
    generateTask(variant, variant.sources.jniLibs!!) {
        for ((prefix, abi) in abis) {
            into(abi) {
                from("$prefix/lib")
                include("libpython*.*.so")
                include("lib*_python.so")
            }
        }
    }
}

fun generateTask(
    variant: ApplicationVariant, directories: SourceDirectories,
    configure: GenerateTask.() -> Unit,
) {
    val name = "generate" + listOf(variant.name, "Python", directories.name)
        .joinToString("") { it.replaceFirstChar(Char::uppercase) }
    directories.addGeneratedSourceDirectory(
        tasks.register<GenerateTask>(name) {
            into(outputDir)
            configure()
        },
        GenerateTask::outputDir,
    )
}

// addGeneratedSourceDirectory needs a task with a DirectoryProperty output.
abstract class GenerateTask : Sync() {
    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty
}
