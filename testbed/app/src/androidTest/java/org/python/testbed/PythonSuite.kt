package org.python.testbed

import android.os.Bundle
import androidx.test.annotation.UiThreadTest
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import org.junit.Assert.assertEquals
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class PythonSuite {
    @Test
    @UiThreadTest
    fun testPython() {
        val start = System.currentTimeMillis()
        val instrumentation = InstrumentationRegistry.getInstrumentation()
        try {
            val status = PythonTestRunner(instrumentation.targetContext)
                .run(InstrumentationRegistry.getArguments())
            // `am instrument -r` prints this as
            // "INSTRUMENTATION_STATUS: pythonExitStatus=N": android.py reads
            // Python's exit status from it.
            instrumentation.sendStatus(2, Bundle().apply {
                putString("pythonExitStatus", status.toString())
            })
            assertEquals(0, status)
        } finally {
            // Keep the process alive long enough for android.py to find its
            // PID (it polls `pidof` every 0.2 s), even if Python ends at once.
            val delay = 2000 - (System.currentTimeMillis() - start)
            if (delay > 0) {
                Thread.sleep(delay)
            }
        }
    }
}
