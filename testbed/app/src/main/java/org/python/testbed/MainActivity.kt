package org.python.testbed

import android.content.Context
import android.os.Bundle
import android.system.Os
import android.util.Log
import android.widget.TextView
import androidx.appcompat.app.AppCompatActivity
import java.io.File
import java.io.FileNotFoundException

// Opening the app by hand runs the test suite: handy for a quick check.  For
// anything else use `android.py test`, which goes through PythonSuite.
class MainActivity : AppCompatActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        val status = PythonTestRunner(this).run("-m", "test", "-W -uall")
        findViewById<TextView>(R.id.tvStatus).text = "Exit status $status"
    }
}

class PythonTestRunner(private val context: Context) {
    /** Run Python with the instrumentation arguments android.py passes:
     *  pythonMode ("-c" or "-m"), pythonModule, pythonArgs (shlex-split),
     *  and optionally pythonCwd and pythonSitePackages (device paths that
     *  android.py pushed with adb) and pythonEnv (shlex-joined NAME=VALUE
     *  items that android_testbed_main.py puts in os.environ) and
     *  pythonOptions (interpreter options such as "-W error -bb", split on
     *  spaces, which Python parses at startup). */
    fun run(arguments: Bundle) = run(
        arguments.getString("pythonMode") ?: "-m",
        arguments.getString("pythonModule") ?: "test",
        arguments.getString("pythonArgs") ?: "",
        arguments.getString("pythonCwd"),
        arguments.getString("pythonSitePackages"),
        arguments.getString("pythonEnv") ?: "",
        arguments.getString("pythonOptions") ?: "",
    )

    fun run(
        mode: String, module: String, args: String,
        cwd: String? = null, sitePackages: String? = null, env: String = "",
        options: String = "",
    ): Int {
        Os.setenv("PYTHON_MODE", mode, true)
        Os.setenv("PYTHON_ENV", env, true)
        Os.setenv("PYTHON_MODULE", module, true)
        Os.setenv("PYTHON_ARGS", args, true)
        val pythonHome = extractAssets()
        Os.setenv("PYTHON_CWD", cwd ?: File(pythonHome, "cwd").toString(), true)
        // pythonCwd and pythonSitePackages are on external storage (FUSE,
        // noexec, outside the app's linker namespace): android_testbed_main.py
        // copies them in here, internal storage, before anything runs.
        Os.setenv("PYTHON_FILES_DIR", context.filesDir.toString(), true)
        if (sitePackages != null) {
            Os.setenv("PYTHON_SITE_PACKAGES", sitePackages, true)
        } else {
            Os.unsetenv("PYTHON_SITE_PACKAGES")
        }
        // Python finds its temporary directory through TMPDIR, which Android
        // only sets from API level 33.
        Os.setenv("TMPDIR", context.cacheDir.toString(), false)
        // Create the external files directory, where android.py asks
        // regrtest to write --junit-xml and pushes --cwd / --site-packages:
        // adb can read and write it without root.
        context.getExternalFilesDir(null)

        System.loadLibrary("main_activity")
        redirectStdioToLogcat()
        // The main module is in src/main/python, named so as not to clash
        // with a test's own "main".
        val argv = listOf("python") + options.split(" ").filter { it.isNotEmpty() } +
            listOf("-m", "android_testbed_main")
        val status = runPython(pythonHome.toString(), argv.toTypedArray())
        // android.py waits for this line to know all Python output is in.
        Log.i("python.testbed", "Python exited with status $status")
        return status
    }

    private fun extractAssets(): File {
        val pythonHome = File(context.filesDir, "python")
        if (pythonHome.exists() && !pythonHome.deleteRecursively()) {
            throw RuntimeException("Failed to delete $pythonHome")
        }
        extractAssetDir("python", context.filesDir)
        return pythonHome
    }

    private fun extractAssetDir(path: String, targetDir: File) {
        val names = context.assets.list(path) ?: throw RuntimeException("Failed to list $path")
        val targetSubdir = File(targetDir, path)
        if (!targetSubdir.mkdirs()) {
            throw RuntimeException("Failed to create $targetSubdir")
        }
        for (name in names) {
            val subPath = "$path/$name"
            val input = try {
                context.assets.open(subPath)
            } catch (e: FileNotFoundException) {
                extractAssetDir(subPath, targetDir)  // a directory
                continue
            }
            val outName = assetFileName(name)
            input.use { File(targetSubdir, outName).outputStream().use { out -> it.copyTo(out) } }
        }
    }

    private external fun redirectStdioToLogcat()
    private external fun runPython(home: String, argv: Array<String>): Int
}

/** A file's name before build.gradle.kts renamed it for AAPT.
 *
 *  Gradle inserted one "-" after the last ".gz" or "-" in the name (and left
 *  other names alone), so the last "-" is always the inserted one. */
fun assetFileName(packed: String): String {
    val dash = packed.lastIndexOf('-')
    return if (dash < 0) packed else packed.removeRange(dash, dash + 1)
}
