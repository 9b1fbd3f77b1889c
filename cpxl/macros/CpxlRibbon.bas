Attribute VB_Name = "CpxlRibbon"
' Ribbon callbacks of the cpxl add-in (Corporate Parenting tab, macros/ribbon.xml).
'
' Every ribbon button has onAction="CpxlRibbonAction": the VBA side only forwards
' the button id to Python, where cpxl.xl.ribbon.dispatch decides what to do. New
' buttons therefore need no VBA, only an id that dispatch knows.
'
' RunPython comes from the xlwings module of this add-in. It runs Python against
' the *active* workbook (xlwings custom add-in flavour), reading its settings from
' the cpxl.conf sheet of this add-in and then ~/.cpxl/cpxl.conf.
Option Explicit

' The one ribbon callback. Its signature is fixed by Office for button onAction.
Public Sub CpxlRibbonAction(control As IRibbonControl)
    On Error GoTo Failed
    If Not CpxlHasWorkbook() Then Exit Sub
    RunPython "import cpxl.xl.ribbon; cpxl.xl.ribbon.dispatch('" & control.Id & "')"
    Exit Sub
Failed:
    CpxlReportError control.Id
End Sub

' RunPython needs a workbook: xlwings hands Python the active workbook's path
' (ActiveWorkbook.FullName), which fails with error 91 when none is open. Add-ins
' are hidden workbooks, so with only the add-in loaded there is no active one.
Private Function CpxlHasWorkbook() As Boolean
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open or create a workbook first, then try again.", vbInformation, "Corporate Parenting"
        CpxlHasWorkbook = False
    Else
        CpxlHasWorkbook = True
    End If
End Function

' Errors raised in Python are shown by xlwings itself; this only catches failures
' to start Python at all (interpreter not found, xlwings DLL missing, ...), which
' would otherwise leave the user with a bare VBA run-time error dialog.
Private Sub CpxlReportError(ByVal controlId As String)
    MsgBox "Could not run the '" & controlId & "' action:" & vbCrLf & vbCrLf & _
           Err.Description & vbCrLf & vbCrLf & _
           "Check the Python interpreter setting (INTERPRETER_WIN) on the cpxl.conf sheet " & _
           "or in %USERPROFILE%\.cpxl\cpxl.conf.", vbExclamation, "Corporate Parenting"
End Sub
